import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type CompletedPart, type S3Client } from '@aws-sdk/client-s3';

/** S3's minimum for every part but the last; also what one upload holds in memory at most (twice). */
export const MULTIPART_PART_BYTES = 5 * 1024 * 1024;

/**
 * Uploads a stream of unknown length with at most one part buffered while the previous one is
 * sent: a single PutObject when it fits in one part, otherwise a multipart upload that is aborted
 * (no parts left billed or visible) when the stream or a part fails.
 */
export async function putStreamMultipart(client: S3Client, bucket: string, key: string, body: NodeJS.ReadableStream, contentType: string): Promise<void> {
  const parts = partsOf(body);
  const first = await parts.next();
  const firstPart = first.done ? Buffer.alloc(0) : first.value;
  const second = first.done ? first : await parts.next();
  if (second.done) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: firstPart, ContentType: contentType }));
    return;
  }
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }));
  const uploadId = created.UploadId as string;
  const completed: CompletedPart[] = [];
  const send = async (part: Buffer): Promise<void> => {
    const partNumber = completed.length + 1;
    const answer = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: part, ContentLength: part.length }));
    completed.push({ PartNumber: partNumber, ETag: answer.ETag });
  };
  try {
    await send(firstPart);
    let pending: Buffer = second.value;
    for (let next = await parts.next(); !next.done; next = await parts.next()) {
      await send(pending);
      pending = next.value;
    }
    await send(pending);
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: completed } }));
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}

/** The stream regrouped into MULTIPART_PART_BYTES parts (the last one shorter). */
async function* partsOf(body: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  let chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    let rest = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (size + rest.length >= MULTIPART_PART_BYTES) {
      const take = MULTIPART_PART_BYTES - size;
      chunks.push(rest.subarray(0, take));
      yield Buffer.concat(chunks);
      rest = rest.subarray(take);
      chunks = [];
      size = 0;
    }
    if (rest.length > 0) {
      chunks.push(rest);
      size += rest.length;
    }
  }
  if (size > 0) yield Buffer.concat(chunks);
}
