// The official Go OSS SDK (Debian's golang-github-aliyun-aliyun-oss-go-sdk-dev) against a Coffer
// server, for the calls it offers among the OSS behaviours of issue 13: the bucket storage class
// (CreateBucket with StorageClass, the 409 on another class), the endpoint GetBucketInfo reports,
// Archive objects and RestoreObject, PutSymlink/GetSymlink and reads through a link. (This SDK
// version has no GetBucketStat.)
// Usage: go run main.go ENDPOINT ACCESS_KEY_ID ACCESS_KEY_SECRET BUCKET_PREFIX
// Prints one "ok <step>" line per step; the first failure prints "FAIL <step>: <error>" and exits 1.
package main

import (
	"fmt"
	"io/ioutil"
	"os"
	"strings"
	"time"

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

// refused checks that err is the OSS error code with the HTTP status.
func refused(step string, err error, code string, status int) {
	se, ok := err.(oss.ServiceError)
	expect(step, ok && se.Code == code && se.StatusCode == status, "want %d %s, got %v", status, code, err)
}

func read(bucket *oss.Bucket, key string) (string, error) {
	body, err := bucket.GetObject(key)
	if err != nil {
		return "", err
	}
	defer body.Close()
	data, err := ioutil.ReadAll(body)
	return string(data), err
}

func main() {
	if len(os.Args) != 5 {
		fmt.Println("usage: main ENDPOINT ACCESS_KEY_ID ACCESS_KEY_SECRET BUCKET_PREFIX")
		os.Exit(2)
	}
	endpoint, id, secret, prefix := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	client, err := oss.New(endpoint, id, secret)
	check("client", err)
	host := strings.TrimPrefix(endpoint, "http://")

	// Storage class of a bucket, and the endpoint it reports.
	archiveName := prefix + "-archive"
	check("CreateBucket Archive", client.CreateBucket(archiveName, oss.StorageClass(oss.StorageArchive)))
	info, err := client.GetBucketInfo(archiveName)
	check("GetBucketInfo", err)
	expect("GetBucketInfo StorageClass", info.BucketInfo.StorageClass == "Archive", "got %q", info.BucketInfo.StorageClass)
	expect("GetBucketInfo ExtranetEndpoint names this server", info.BucketInfo.ExtranetEndpoint == host, "got %q", info.BucketInfo.ExtranetEndpoint)
	expect("GetBucketInfo IntranetEndpoint names this server", info.BucketInfo.IntranetEndpoint == host, "got %q", info.BucketInfo.IntranetEndpoint)
	refused("CreateBucket with another class is 409 BucketAlreadyExists", client.CreateBucket(archiveName, oss.StorageClass(oss.StorageIA)), "BucketAlreadyExists", 409)
	check("CreateBucket with the same class", client.CreateBucket(archiveName, oss.StorageClass(oss.StorageArchive)))

	// An Archive object through its restore.
	archive, err := client.Bucket(archiveName)
	check("Bucket", err)
	check("PutObject into the Archive bucket", archive.PutObject("frozen.txt", strings.NewReader("thawed at last")))
	meta, err := archive.GetObjectDetailedMeta("frozen.txt")
	check("GetObjectDetailedMeta frozen", err)
	expect("the object inherits Archive", meta.Get("X-Oss-Storage-Class") == "Archive", "got %q", meta.Get("X-Oss-Storage-Class"))
	expect("no x-oss-restore before a restore", meta.Get("X-Oss-Restore") == "", "got %q", meta.Get("X-Oss-Restore"))
	_, err = read(archive, "frozen.txt")
	refused("GetObject frozen is 403 InvalidObjectState", err, "InvalidObjectState", 403)
	check("RestoreObject", archive.RestoreObject("frozen.txt"))
	meta, err = archive.GetObjectDetailedMeta("frozen.txt")
	check("GetObjectDetailedMeta restoring", err)
	expect("x-oss-restore ongoing", meta.Get("X-Oss-Restore") == `ongoing-request="true"`, "got %q", meta.Get("X-Oss-Restore"))
	refused("RestoreObject again is 409 RestoreAlreadyInProgress", archive.RestoreObject("frozen.txt"), "RestoreAlreadyInProgress", 409)
	var content string
	for i := 0; ; i++ {
		content, err = read(archive, "frozen.txt")
		if err == nil || i == 100 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	check("GetObject after the restore", err)
	expect("restored content", content == "thawed at last", "got %q", content)
	meta, err = archive.GetObjectDetailedMeta("frozen.txt")
	check("GetObjectDetailedMeta restored", err)
	expect("x-oss-restore done with an expiry", strings.HasPrefix(meta.Get("X-Oss-Restore"), `ongoing-request="false", expiry-date="`), "got %q", meta.Get("X-Oss-Restore"))
	check("RestoreObject of a restored object extends it", archive.RestoreObject("frozen.txt"))

	// Symlinks.
	standardName := prefix + "-links"
	check("CreateBucket Standard", client.CreateBucket(standardName))
	links, err := client.Bucket(standardName)
	check("Bucket links", err)
	// Plain names: this SDK version escapes keys twice in paths (url.QueryEscape into url.URL.Path).
	target := "target.txt"
	check("PutObject target", links.PutObject(target, strings.NewReader("through the link")))
	check("PutSymlink", links.PutSymlink("link.txt", target, oss.Meta("who", "link")))
	header, err := links.GetSymlink("link.txt")
	check("GetSymlink", err)
	expect("GetSymlink target", header.Get("X-Oss-Symlink-Target") == target, "got %q", header.Get("X-Oss-Symlink-Target"))
	content, err = read(links, "link.txt")
	check("GetObject through the link", err)
	expect("content through the link", content == "through the link", "got %q", content)
	meta, err = links.GetObjectDetailedMeta("link.txt")
	check("GetObjectDetailedMeta through the link", err)
	expect("x-oss-object-type Symlink", meta.Get("X-Oss-Object-Type") == "Symlink", "got %q", meta.Get("X-Oss-Object-Type"))
	expect("the link's own metadata", meta.Get("X-Oss-Meta-Who") == "link", "got %q", meta.Get("X-Oss-Meta-Who"))
	expect("the target's length", meta.Get("Content-Length") == "16", "got %q", meta.Get("Content-Length"))
	lor, err := links.ListObjects(oss.Prefix("link"))
	check("ListObjects", err)
	expect("listed as Symlink", len(lor.Objects) == 1 && lor.Objects[0].Type == "Symlink", "got %+v", lor.Objects)
	_, err = links.GetSymlink(target)
	expect("GetSymlink of an ordinary object fails", err != nil, "no error")
	check("PutSymlink dangling", links.PutSymlink("dangling", "nothing here"))
	_, err = read(links, "dangling")
	refused("GetObject of a dangling link is 404 SymlinkTargetNotExist", err, "SymlinkTargetNotExist", 404)
	check("PutSymlink to a link", links.PutSymlink("second", "link.txt"))
	_, err = read(links, "second")
	refused("GetObject of a link to a link is 400 InvalidTargetType", err, "InvalidTargetType", 400)

	// Clean up.
	for _, key := range []string{target, "link.txt", "dangling", "second"} {
		check("DeleteObject "+key, links.DeleteObject(key))
	}
	check("DeleteObject frozen", archive.DeleteObject("frozen.txt"))
	check("DeleteBucket links", client.DeleteBucket(standardName))
	check("DeleteBucket archive", client.DeleteBucket(archiveName))
	fmt.Println("done")
}
