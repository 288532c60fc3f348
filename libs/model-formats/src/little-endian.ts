// Tensor bytes are little-endian on disk; typed-array views are only a shortcut on hosts that
// share that order.
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A DataView over exactly the bytes of `data`. */
export function viewOf(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}
