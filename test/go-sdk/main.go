// The official Go OSS SDK (Debian's golang-github-aliyun-aliyun-oss-go-sdk-dev) against a Coffer
// server: buckets, objects with and without server-side encryption, re-encryption by copy,
// multipart, append, listing, deletes, error codes and UTF-8 metadata. The SDK's own CRC-64
// checks are on, so every upload and whole download is also checked against Coffer's x-oss-hash-crc64ecma.
// Usage: go run main.go ENDPOINT ACCESS_KEY_ID ACCESS_KEY_SECRET BUCKET WORKDIR
// Prints one "ok <step>" line per step; the first failure prints "FAIL <step>: <error>" and exits 1.
package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"strings"

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

// serviceCode is the OSS error code of err, or "" when err is not an OSS error.
func serviceCode(err error) (string, int) {
	if se, ok := err.(oss.ServiceError); ok {
		return se.Code, se.StatusCode
	}
	return "", 0
}

func payload(size int, seed byte) []byte {
	out := make([]byte, size)
	for i := range out {
		out[i] = byte(i*31) ^ seed
	}
	return out
}

func read(bucket *oss.Bucket, key string, options ...oss.Option) ([]byte, error) {
	body, err := bucket.GetObject(key, options...)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return ioutil.ReadAll(body)
}

func main() {
	if len(os.Args) != 6 {
		fmt.Println("usage: main ENDPOINT ACCESS_KEY_ID ACCESS_KEY_SECRET BUCKET WORKDIR")
		os.Exit(2)
	}
	endpoint, id, secret, name, work := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	client, err := oss.New(endpoint, id, secret)
	check("client", err)

	check("CreateBucket", client.CreateBucket(name))
	info, err := client.GetBucketInfo(name)
	check("GetBucketInfo", err)
	expect("GetBucketInfo name", info.BucketInfo.Name == name, "got %q", info.BucketInfo.Name)
	bucket, err := client.Bucket(name)
	check("Bucket", err)

	plain := payload(300*1024+7, 1)
	check("PutObject plain (SDK CRC-64 check)", bucket.PutObject("plain.bin", bytes.NewReader(plain)))
	sum := md5.Sum(plain)
	meta, err := bucket.GetObjectDetailedMeta("plain.bin")
	check("HeadObject plain", err)
	expect("ETag is the MD5", strings.Trim(meta.Get("ETag"), `"`) == strings.ToUpper(hex.EncodeToString(sum[:])), "ETag %s", meta.Get("ETag"))
	expect("no SSE header on a plain object", meta.Get(oss.HTTPHeaderOssServerSideEncryption) == "", "got %q", meta.Get(oss.HTTPHeaderOssServerSideEncryption))
	crcPlain := meta.Get(oss.HTTPHeaderOssCRC64)

	check("PutObject AES256", bucket.PutObject("aes.bin", bytes.NewReader(plain), oss.ServerSideEncryption("AES256")))
	meta, err = bucket.GetObjectDetailedMeta("aes.bin")
	check("HeadObject AES256", err)
	expect("AES256 reported", meta.Get(oss.HTTPHeaderOssServerSideEncryption) == "AES256", "got %q", meta.Get(oss.HTTPHeaderOssServerSideEncryption))
	expect("same CRC-64 as the plain copy", meta.Get(oss.HTTPHeaderOssCRC64) == crcPlain, "%s vs %s", meta.Get(oss.HTTPHeaderOssCRC64), crcPlain)
	downloaded := filepath.Join(work, "aes.bin")
	check("GetObjectToFile AES256 (SDK CRC-64 check)", bucket.GetObjectToFile("aes.bin", downloaded))
	got, err := ioutil.ReadFile(downloaded)
	check("read the download", err)
	expect("AES256 object reads back", bytes.Equal(got, plain), "%d bytes differ", len(got))
	part, err := read(bucket, "aes.bin", oss.Range(65530, 65545))
	check("ranged GET across a package boundary", err)
	expect("range bytes", bytes.Equal(part, plain[65530:65546]), "got %d bytes", len(part))

	_, err = bucket.CopyObject("plain.bin", "plain.bin", oss.ServerSideEncryption("SM4"), oss.MetadataDirective(oss.MetaReplace), oss.Meta("note", "encrypted in place"))
	check("CopyObject onto itself with SM4", err)
	meta, err = bucket.GetObjectDetailedMeta("plain.bin")
	check("HeadObject after the copy", err)
	expect("SM4 reported", meta.Get(oss.HTTPHeaderOssServerSideEncryption) == "SM4", "got %q", meta.Get(oss.HTTPHeaderOssServerSideEncryption))
	expect("user metadata replaced", meta.Get("X-Oss-Meta-Note") == "encrypted in place", "got %q", meta.Get("X-Oss-Meta-Note"))
	expect("CRC-64 unchanged by encryption", meta.Get(oss.HTTPHeaderOssCRC64) == crcPlain, "got %s", meta.Get(oss.HTTPHeaderOssCRC64))

	check("PutObject KMS (managed key)", bucket.PutObject("kms.bin", bytes.NewReader(plain[:5000]), oss.ServerSideEncryption("KMS")))
	meta, err = bucket.GetObjectDetailedMeta("kms.bin")
	check("HeadObject KMS", err)
	expect("KMS reported with a key id", meta.Get(oss.HTTPHeaderOssServerSideEncryption) == "KMS" && meta.Get("X-Oss-Server-Side-Encryption-Key-Id") != "", "got %q / %q", meta.Get(oss.HTTPHeaderOssServerSideEncryption), meta.Get("X-Oss-Server-Side-Encryption-Key-Id"))
	got, err = read(bucket, "kms.bin")
	check("GET KMS", err)
	expect("KMS object reads back", bytes.Equal(got, plain[:5000]), "%d bytes", len(got))

	big := payload(3*200*1024+11, 7)
	imur, err := bucket.InitiateMultipartUpload("multi.bin", oss.ServerSideEncryption("AES256"))
	check("InitiateMultipartUpload AES256", err)
	var parts []oss.UploadPart
	for i := 0; i < 3; i++ {
		end := (i + 1) * 200 * 1024
		if i == 2 {
			end = len(big)
		}
		p, err := bucket.UploadPart(imur, bytes.NewReader(big[i*200*1024:end]), int64(end-i*200*1024), i+1)
		check(fmt.Sprintf("UploadPart %d", i+1), err)
		parts = append(parts, p)
	}
	listed, err := bucket.ListUploadedParts(imur)
	check("ListParts", err)
	expect("three parts listed", len(listed.UploadedParts) == 3, "got %d", len(listed.UploadedParts))
	_, err = bucket.CompleteMultipartUpload(imur, parts)
	check("CompleteMultipartUpload", err)
	check("GetObjectToFile multipart (SDK CRC-64 check)", bucket.GetObjectToFile("multi.bin", filepath.Join(work, "multi.bin")))
	got, err = ioutil.ReadFile(filepath.Join(work, "multi.bin"))
	check("read the multipart download", err)
	expect("multipart object reads back", bytes.Equal(got, big), "%d bytes", len(got))
	meta, err = bucket.GetObjectDetailedMeta("multi.bin")
	check("HeadObject multipart", err)
	expect("multipart ETag has -3", strings.HasSuffix(strings.Trim(meta.Get("ETag"), `"`), "-3"), "ETag %s", meta.Get("ETag"))

	next, err := bucket.AppendObject("log.txt", strings.NewReader("first line\n"), 0, oss.ServerSideEncryption("AES256"))
	check("AppendObject first", err)
	next, err = bucket.AppendObject("log.txt", strings.NewReader("second line\n"), next)
	check("AppendObject second", err)
	got, err = read(bucket, "log.txt")
	check("GET appended", err)
	expect("appended object", string(got) == "first line\nsecond line\n" && next == int64(len(got)), "got %q, next %d", got, next)

	list, err := bucket.ListObjects(oss.MaxKeys(2))
	check("ListObjects page 1", err)
	expect("first page truncated", list.IsTruncated && len(list.Objects) == 2, "truncated %v, %d objects", list.IsTruncated, len(list.Objects))
	rest, err := bucket.ListObjects(oss.Marker(list.NextMarker))
	check("ListObjects page 2", err)
	expect("five objects in all", len(list.Objects)+len(rest.Objects) == 5, "%d + %d", len(list.Objects), len(rest.Objects))

	_, err = read(bucket, "missing.bin")
	code, status := serviceCode(err)
	expect("missing key is NoSuchKey 404", code == "NoSuchKey" && status == 404, "got %v", err)
	wrong, err := oss.New(endpoint, id, secret+"x")
	check("client with a wrong secret", err)
	_, err = wrong.ListBuckets()
	code, status = serviceCode(err)
	expect("wrong secret is SignatureDoesNotMatch 403", code == "SignatureDoesNotMatch" && status == 403, "got %v", err)

	// Go sends header values as their bytes and signs those bytes: non-ASCII metadata and a
	// non-ASCII key must come back byte for byte.
	city := "杭州 café"
	check("PutObject with UTF-8 metadata", bucket.PutObject("城市/杭州.txt", strings.NewReader("西湖"), oss.Meta("City", city)))
	meta, err = bucket.GetObjectDetailedMeta("城市/杭州.txt")
	check("HeadObject of the UTF-8 key", err)
	expect("UTF-8 metadata round-trips", meta.Get("X-Oss-Meta-City") == city, "got %q", meta.Get("X-Oss-Meta-City"))
	got, err = read(bucket, "城市/杭州.txt")
	check("GET the UTF-8 key", err)
	expect("UTF-8 object reads back", string(got) == "西湖", "got %q", got)
	check("DeleteObject the UTF-8 key", bucket.DeleteObject("城市/杭州.txt"))

	deleted, err := bucket.DeleteObjects([]string{"plain.bin", "aes.bin", "kms.bin", "multi.bin"}, oss.DeleteObjectsQuiet(true))
	check("DeleteMultipleObjects quiet", err)
	expect("quiet delete lists nothing", len(deleted.DeletedObjects) == 0, "got %v", deleted.DeletedObjects)
	err = client.DeleteBucket(name)
	code, status = serviceCode(err)
	expect("a non-empty bucket is not deleted", code == "BucketNotEmpty" && status == 409, "got %v", err)
	check("DeleteObject", bucket.DeleteObject("log.txt"))
	check("DeleteBucket", client.DeleteBucket(name))
	fmt.Println("done")
}
