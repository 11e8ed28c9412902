// Reads the zips the hub streams (entries stored, data descriptors, ZIP64 sizes): the entry names
// and bytes, from the central directory. Enough to check "Télécharger tous les éléments".

function zip64Extra(extra, fields) {
  let offset = 0;
  while (offset + 4 <= extra.length) {
    const id = extra.readUInt16LE(offset);
    const size = extra.readUInt16LE(offset + 2);
    if (id === 0x0001) {
      let at = offset + 4;
      const out = {};
      for (const name of fields) {
        out[name] = Number(extra.readBigUInt64LE(at));
        at += 8;
      }
      return out;
    }
    offset += 4 + size;
  }
  return {};
}

/** `[{name, data}]` of a zip held in a Buffer; only stored (uncompressed) entries are read. */
export function entries(zip) {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  let count = zip.readUInt16LE(eocd + 10);
  let directory = zip.readUInt32LE(eocd + 16);
  const locator = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]));
  if (locator >= 0 && (count === 0xffff || directory === 0xffffffff)) {
    const eocd64 = Number(zip.readBigUInt64LE(locator + 8));
    count = Number(zip.readBigUInt64LE(eocd64 + 32));
    directory = Number(zip.readBigUInt64LE(eocd64 + 48));
  }
  const out = [];
  let at = directory;
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('broken central directory');
    const method = zip.readUInt16LE(at + 10);
    let size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    let local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const extra = zip.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    const wanted = [];
    if (zip.readUInt32LE(at + 24) === 0xffffffff) wanted.push('uncompressed');
    if (size === 0xffffffff) wanted.push('compressed');
    if (local === 0xffffffff) wanted.push('offset');
    const big = zip64Extra(extra, wanted);
    size = big.compressed ?? size;
    local = big.offset ?? local;
    if (method !== 0) throw new Error(`${name}: compressed entries are not read here`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    out.push({ name, data: zip.subarray(start, start + size) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}
