import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type CompletedPart, type S3Client } from '@aws-sdk/client-s3';

/** S3's minimum for every part but the last; the one buffer an upload holds. */
export const MULTIPART_PART_BYTES = 5 * 1024 * 1024;

/**
 * Uploads a stream of unknown length through one reused part buffer (no allocation per part, so
 * memory stays flat however long the stream): a single PutObject when it fits in one part,
 * otherwise a multipart upload that is aborted (no parts left billed or visible) when the stream
 * or a part fails. Reading pauses while a part is sent, which is the backpressure.
 */
export async function putStreamMultipart(client: S3Client, bucket: string, key: string, body: NodeJS.ReadableStream, contentType: string): Promise<void> {
  const buffer = Buffer.allocUnsafeSlow(MULTIPART_PART_BYTES);
  let filled = 0;
  let uploadId: string | undefined;
  const completed: CompletedPart[] = [];
  const sendPart = async (): Promise<void> => {
    if (uploadId === undefined) {
      uploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }))).UploadId as string;
    }
    const partNumber = completed.length + 1;
    const answer = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: buffer.subarray(0, filled), ContentLength: filled }));
    completed.push({ PartNumber: partNumber, ETag: answer.ETag });
    filled = 0;
  };
  try {
    for await (const chunk of body) {
      let rest = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      while (rest.length > 0) {
        const take = Math.min(rest.length, MULTIPART_PART_BYTES - filled);
        rest.copy(buffer, filled, 0, take);
        filled += take;
        rest = rest.subarray(take);
        if (filled === MULTIPART_PART_BYTES) await sendPart();
      }
    }
    if (uploadId === undefined) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: buffer.subarray(0, filled), ContentType: contentType }));
      return;
    }
    if (filled > 0) await sendPart();
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: completed } }));
  } catch (error) {
    if (uploadId !== undefined) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}
