const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The AUTOMATIC1111 `parameters` text the worker wrote into a PNG (tEXt when Latin-1, iTXt
 * otherwise): the infotext A1111 clients expect in `info.infotexts`, exactly as stored.
 */
export function pngParameters(bytes: Buffer): string | undefined {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) return undefined;
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IEND') break;
    if (type !== 'tEXt' && type !== 'iTXt') continue;
    const zero = data.indexOf(0);
    if (zero < 0 || data.toString('latin1', 0, zero) !== 'parameters') continue;
    if (type === 'tEXt') return data.toString('latin1', zero + 1);
    // iTXt: keyword\0 compression-flag compression-method language\0 translated-keyword\0 text
    const language = data.indexOf(0, zero + 3);
    const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
    if (translated < 0 || data[zero + 1] !== 0) continue;
    return data.toString('utf8', translated + 1);
  }
  return undefined;
}
