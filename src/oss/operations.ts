/** Every OSS operation Coffer serves, by its OSS name. */
import type { Coffer } from '../core/coffer';
import { DeleteBucket, GetBucketInfo, GetBucketLocation, PutBucket } from './bucket';
import { GetBucketAcl, PutBucketAcl } from './bucket-acl';
import { DeleteBucketCors, GetBucketCors, PutBucketCors } from './bucket-cors';
import { DeleteBucketLifecycle, GetBucketLifecycle, PutBucketLifecycle } from './bucket-lifecycle';
import { GetBucketStat } from './bucket-stat';
import { GetBucketVersioning, PutBucketVersioning } from './bucket-versioning';
import { DeleteBucketPolicy, GetBucketPolicy, PutBucketPolicy } from './bucket-policy';
import { AbortBucketWorm, CompleteBucketWorm, ExtendBucketWorm, GetBucketWorm, InitiateBucketWorm } from './bucket-worm';
import { DeleteBucketEncryption, GetBucketEncryption, PutBucketEncryption } from './bucket-encryption';
import { ListObjectVersions } from './list-object-versions';
import { ListObjects, ListObjectsV2 } from './list-objects';
import {
  AbortMultipartUpload, CompleteMultipartUpload, InitiateMultipartUpload, ListMultipartUploads, ListParts, UploadPart, UploadPartCopy,
} from './multipart';
import { GetObjectAcl, PutObjectAcl } from './object-acl';
import { AppendObject } from './object-append';
import { CopyObject } from './object-copy';
import { DeleteMultipleObjects, DeleteObject } from './object-delete';
import { GetObject, GetObjectMeta, HeadObject } from './object-get';
import { DeleteObjectTagging, GetObjectTagging, PutObjectTagging } from './object-tagging';
import { PostObject } from './object-post';
import { PutObject } from './object-put';
import { RestoreObject } from './object-restore';
import { GetSymlink, PutSymlink } from './symlink';
import type { OssRequest, OssResponse } from './request';
import type { Operation } from './router';
import { ListBuckets } from './service';

export type Handler = (c: Coffer, req: OssRequest) => Promise<OssResponse>;

export const OPERATIONS: Record<Operation, Handler> = {
  ListBuckets,
  PutBucket, DeleteBucket, GetBucketInfo, GetBucketLocation,
  PutBucketAcl, GetBucketAcl,
  PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption,
  PutBucketCors, GetBucketCors, DeleteBucketCors,
  PutBucketVersioning, GetBucketVersioning, ListObjectVersions,
  PutBucketLifecycle, GetBucketLifecycle, DeleteBucketLifecycle,
  PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy,
  InitiateBucketWorm, AbortBucketWorm, CompleteBucketWorm, ExtendBucketWorm, GetBucketWorm,
  ListObjects, ListObjectsV2, DeleteMultipleObjects, ListMultipartUploads,
  PutObject, PostObject, CopyObject, GetObject, HeadObject, GetObjectMeta, DeleteObject, AppendObject,
  PutObjectAcl, GetObjectAcl,
  PutObjectTagging, GetObjectTagging, DeleteObjectTagging,
  InitiateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
  RestoreObject, PutSymlink, GetSymlink, GetBucketStat,
};
