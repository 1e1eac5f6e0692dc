/**
 * API Gateway's WebSocket limits: a frame carries at most 32 KB and a message at most 128 KB, so a message
 * fragmented into frames of up to 32 KB each is accepted up to 128 KB in all. `ws` only limits the whole
 * message (maxPayload, set to 128 KB), so this watcher reads the length of each frame as it arrives, from the
 * frame headers only (RFC 6455 section 5.2: 2 bytes, then a 16- or 64-bit extended length, then a 4-byte
 * mask key for client frames), and reports the first frame over the frame limit. It never changes the bytes
 * `ws` decodes.
 */
import type { Socket } from 'node:net';

/** Calls `onTooLarge` (once) when a frame's payload is over `maxFrameBytes`. */
export function watchFrameSizes(socket: Socket, maxFrameBytes: number, onTooLarge: () => void): void {
  let header = Buffer.alloc(0);
  /** Payload bytes still to skip of the current frame. */
  let skip = 0;
  const onData = (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (skip > 0) {
        const step = Math.min(skip, chunk.length - offset);
        skip -= step;
        offset += step;
        continue;
      }
      // A header is at most 14 bytes and may straddle chunks.
      const had = header.length;
      const take = chunk.subarray(offset, offset + 14 - had);
      header = Buffer.concat([header, take]);
      const parsed = frameHeader(header);
      if (!parsed) {
        offset += take.length;
        continue;
      }
      offset += parsed.headerBytes - had;
      header = Buffer.alloc(0);
      if (parsed.payloadBytes > maxFrameBytes) {
        socket.off('data', onData);
        onTooLarge();
        return;
      }
      skip = parsed.payloadBytes;
    }
  };
  socket.on('data', onData);
}

/** The header's length and the frame's payload length, or undefined while the header is incomplete. */
export function frameHeader(bytes: Buffer): { headerBytes: number; payloadBytes: number } | undefined {
  if (bytes.length < 2) return undefined;
  const masked = (bytes[1] & 0x80) !== 0;
  const short = bytes[1] & 0x7f;
  const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
  const headerBytes = 2 + extended + (masked ? 4 : 0);
  if (bytes.length < headerBytes) return undefined;
  const payloadBytes =
    short === 126 ? bytes.readUInt16BE(2) : short === 127 ? Number(bytes.readBigUInt64BE(2)) : short;
  return { headerBytes, payloadBytes };
}
