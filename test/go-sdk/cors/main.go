// The Go OSS SDK's CORS calls (Debian's 1.5.0 offers SetBucketCORS, GetBucketCORS and
// DeleteBucketCORS; no tagging, no OptionsMethod) against a Coffer server, in the order of the
// SDK's own functional tests (client_test.go TestSetBucketCORS / TestDeleteBucketCORS).
// Usage: go run main.go ENDPOINT ACCESS_KEY_ID ACCESS_KEY_SECRET BUCKET
// Prints one "ok <step>" line per step; the first failure prints "FAIL <step>: <error>" and exits 1.
package main

import (
	"fmt"
	"os"
	"reflect"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func check(step string, err error) {
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", step, err)
		os.Exit(1)
	}
	fmt.Printf("ok %s\n", step)
}

func expect(step string, cond bool, format string, args ...interface{}) {
	if !cond {
		check(step, fmt.Errorf(format, args...))
	}
	check(step, nil)
}

func main() {
	endpoint, id, secret, name := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	client, err := oss.New(endpoint, id, secret)
	check("New", err)
	check("CreateBucket", client.CreateBucket(name))

	// Deleting rules that were never set succeeds.
	check("DeleteBucketCORS before any rule", client.DeleteBucketCORS(name))

	rule1 := oss.CORSRule{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"PUT", "GET", "POST"}, AllowedHeader: []string{}, ExposeHeader: []string{}, MaxAgeSeconds: 100}
	rule2 := oss.CORSRule{AllowedOrigin: []string{"http://www.a.com", "http://www.b.com"}, AllowedMethod: []string{"GET"}, AllowedHeader: []string{"Authorization"}, ExposeHeader: []string{"x-oss-test", "x-oss-test1"}, MaxAgeSeconds: 200}
	check("SetBucketCORS rule1", client.SetBucketCORS(name, []oss.CORSRule{rule1}))
	got, err := client.GetBucketCORS(name)
	check("GetBucketCORS rule1", err)
	r := got.CORSRules
	expect("rule1 read back", len(r) == 1 && reflect.DeepEqual(r[0].AllowedOrigin, []string{"*"}) && reflect.DeepEqual(r[0].AllowedMethod, []string{"PUT", "GET", "POST"}) &&
		len(r[0].AllowedHeader) == 0 && len(r[0].ExposeHeader) == 0 && r[0].MaxAgeSeconds == 100, "%+v", r)

	check("SetBucketCORS rule2 replaces rule1", client.SetBucketCORS(name, []oss.CORSRule{rule2}))
	got, err = client.GetBucketCORS(name)
	check("GetBucketCORS rule2", err)
	r = got.CORSRules
	expect("rule2 read back", len(r) == 1 && reflect.DeepEqual(r[0].AllowedOrigin, rule2.AllowedOrigin) && reflect.DeepEqual(r[0].AllowedHeader, rule2.AllowedHeader) &&
		reflect.DeepEqual(r[0].ExposeHeader, rule2.ExposeHeader) && r[0].MaxAgeSeconds == 200, "%+v", r)

	check("SetBucketCORS two rules", client.SetBucketCORS(name, []oss.CORSRule{rule1, rule2}))
	got, err = client.GetBucketCORS(name)
	check("GetBucketCORS two rules", err)
	expect("two rules in order", len(got.CORSRules) == 2 && got.CORSRules[0].MaxAgeSeconds == 100 && got.CORSRules[1].MaxAgeSeconds == 200, "%+v", got.CORSRules)

	bad := oss.CORSRule{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"TEST"}}
	err = client.SetBucketCORS(name, []oss.CORSRule{bad})
	se, ok := err.(oss.ServiceError)
	expect("an invalid AllowedMethod is InvalidArgument 400", ok && se.Code == "InvalidArgument" && se.StatusCode == 400, "%v", err)
	got, err = client.GetBucketCORS(name)
	check("GetBucketCORS after the refusal", err)
	expect("the refusal changed nothing", len(got.CORSRules) == 2, "%+v", got.CORSRules)

	check("DeleteBucketCORS", client.DeleteBucketCORS(name))
	_, err = client.GetBucketCORS(name)
	se, ok = err.(oss.ServiceError)
	expect("GetBucketCORS after delete is NoSuchCORSConfiguration 404", ok && se.Code == "NoSuchCORSConfiguration" && se.StatusCode == 404, "%v", err)
	check("DeleteBucketCORS again", client.DeleteBucketCORS(name))

	check("DeleteBucket", client.DeleteBucket(name))
	fmt.Println("done")
}
