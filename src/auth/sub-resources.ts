/**
 * Query parameters that are part of the V1 CanonicalizedResource (the union of oss2's and the Go
 * SDK's lists). V4 also uses it: ali-oss writes exactly these as a bare `name` when empty.
 */
export const SUB_RESOURCES: ReadonlySet<string> = new Set([
  'acl', 'uploads', 'location', 'cors', 'logging', 'website', 'referer', 'lifecycle', 'delete',
  'append', 'tagging', 'objectMeta', 'uploadId', 'partNumber', 'security-token', 'position', 'img',
  'style', 'styleName', 'replication', 'replicationProgress', 'replicationLocation', 'cname',
  'bucketInfo', 'comp', 'qos', 'live', 'status', 'vod', 'startTime', 'endTime', 'symlink',
  'x-oss-process', 'response-content-type', 'response-content-language', 'response-expires',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'x-oss-traffic-limit', 'udf', 'udfName', 'udfImage', 'udfId', 'udfImageDesc', 'udfApplication',
  'udfApplicationLog', 'restore', 'callback', 'callback-var', 'qosInfo', 'policy', 'stat',
  'encryption', 'versions', 'versioning', 'versionId', 'requestPayment', 'x-oss-request-payer',
  'sequential', 'inventory', 'inventoryId', 'continuation-token', 'asyncFetch', 'worm', 'wormId',
  'wormExtend', 'withHashContext', 'x-oss-enable-md5', 'x-oss-enable-sha1', 'x-oss-enable-sha256',
  'x-oss-hash-ctx', 'x-oss-md5-ctx', 'transferAcceleration', 'regionList', 'cloudboxes',
  'x-oss-ac-source-ip', 'x-oss-ac-subnet-mask', 'x-oss-ac-vpc-id', 'x-oss-ac-forward-allow',
  'metaQuery', 'resourceGroup', 'rtc', 'x-oss-async-process', 'responseHeader', 'group', 'link',
  'objectInfo', 'x-oss-write-get-object-response', 'bucketArchiveDirectRead', 'httpsConfig',
  'redundancyTransition', 'x-oss-target-redundancy-type', 'x-oss-redundancy-transition-taskid',
  'accessPoint', 'accessPointPolicy', 'publicAccessBlock', 'x-oss-access-point-name',
  'requesterQosInfo', 'qosRequester', 'resourcePoolInfo', 'resourcePool', 'resourcePoolBuckets',
]);
