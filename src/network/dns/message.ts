// DNS messages (RFC 1035): parsing with compression pointers and encoding with name
// compression. Only the record types the per-network server answers or relays are decoded;
// anything else keeps its rdata as bytes.

export const RRType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 } as const;
export const RRClass = { IN: 1 } as const;
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const Opcode = { QUERY: 0 } as const;

export interface DnsHeader {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
}

export interface DnsQuestion {
  /** Without the trailing dot; case as received. */
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** A/AAAA: address text; PTR/CNAME/NS: a name; anything else: the raw rdata. */
  data: string | Buffer;
}

export interface DnsMessage {
  header: DnsHeader;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

export class DnsFormatError extends Error {}

const MAX_NAME = 255;
// Enough for any legitimate chain of pointers; stops loops crafted to spin the server.
const MAX_POINTER_HOPS = 32;

export function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let off = start;
  let next = -1;
  let hops = 0;
  let length = 0;
  for (;;) {
    if (off >= buf.length) throw new DnsFormatError('name runs past the end of the message');
    const len = buf[off]!;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (off + 1 >= buf.length) throw new DnsFormatError('truncated compression pointer');
      if (++hops > MAX_POINTER_HOPS) throw new DnsFormatError('compression pointer loop');
      if (next < 0) next = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1]!;
      continue;
    }
    if (kind !== 0) throw new DnsFormatError('unsupported label type');
    if (len === 0) {
      if (next < 0) next = off + 1;
      break;
    }
    if (off + 1 + len > buf.length) throw new DnsFormatError('label runs past the end of the message');
    length += len + 1;
    if (length > MAX_NAME) throw new DnsFormatError('name longer than 255 bytes');
    // latin1 maps every byte to one char, so odd bytes survive a round trip.
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  return { name: labels.join('.'), next };
}

function need(buf: Buffer, off: number, n: number, what: string): void {
  if (off + n > buf.length) throw new DnsFormatError(`truncated ${what}`);
}

export function parseHeader(buf: Buffer): DnsHeader {
  need(buf, 0, 12, 'header');
  const flags = buf.readUInt16BE(2);
  return {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
  };
}

function ipv6Text(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  // Longest run of zero groups collapses to "::".
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

function readRecord(buf: Buffer, off: number): { rr: DnsRecord; next: number } {
  const { name, next: afterName } = readName(buf, off);
  need(buf, afterName, 10, 'resource record');
  const type = buf.readUInt16BE(afterName);
  const cls = buf.readUInt16BE(afterName + 2);
  const ttl = buf.readUInt32BE(afterName + 4);
  const rdlen = buf.readUInt16BE(afterName + 8);
  const rdStart = afterName + 10;
  need(buf, rdStart, rdlen, 'rdata');
  const raw = buf.subarray(rdStart, rdStart + rdlen);
  let data: string | Buffer = Buffer.from(raw);
  if (type === RRType.A && rdlen === 4) data = [...raw].join('.');
  else if (type === RRType.AAAA && rdlen === 16) data = ipv6Text(raw);
  else if (type === RRType.PTR || type === RRType.CNAME || type === RRType.NS) data = readName(buf, rdStart).name;
  return { rr: { name, type, class: cls, ttl, data }, next: rdStart + rdlen };
}

export function parseMessage(buf: Buffer): DnsMessage {
  const header = parseHeader(buf);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let off = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]!; i++) {
    const { name, next } = readName(buf, off);
    need(buf, next, 4, 'question');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    off = next + 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const { rr, next } = readRecord(buf, off);
      sections[s]!.push(rr);
      off = next;
    }
  }
  return { header, questions, answers: sections[0]!, authorities: sections[1]!, additionals: sections[2]! };
}

class Writer {
  private chunks: Buffer[] = [];
  private length = 0;
  private names = new Map<string, number>();

  get offset(): number {
    return this.length;
  }

  bytes(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  u16(v: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    this.bytes(b);
  }

  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.bytes(b);
  }

  name(name: string): void {
    const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const known = this.names.get(suffix);
      if (known !== undefined) {
        this.u16(0xc000 | known);
        return;
      }
      if (this.offset < 0x3fff) this.names.set(suffix, this.offset);
      const label = Buffer.from(labels[i]!, 'latin1');
      if (label.length === 0 || label.length > 63) throw new DnsFormatError(`bad label in ${JSON.stringify(name)}`);
      this.bytes(Buffer.from([label.length]));
      this.bytes(label);
    }
    this.bytes(Buffer.from([0]));
  }

  record(rr: DnsRecord): void {
    this.name(rr.name);
    this.u16(rr.type);
    this.u16(rr.class);
    this.u32(rr.ttl);
    const lenAt = this.chunks.length;
    this.u16(0);
    const start = this.offset;
    if (Buffer.isBuffer(rr.data)) this.bytes(rr.data);
    else if (rr.type === RRType.A) this.bytes(Buffer.from(rr.data.split('.').map(Number)));
    else if (rr.type === RRType.PTR || rr.type === RRType.CNAME || rr.type === RRType.NS) this.name(rr.data);
    else throw new DnsFormatError(`cannot encode type ${rr.type} from text`);
    this.chunks[lenAt]!.writeUInt16BE(this.offset - start);
  }

  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export function encodeMessage(m: DnsMessage): Buffer {
  const w = new Writer();
  const h = m.header;
  w.u16(h.id);
  w.u16((h.qr ? 0x8000 : 0) | ((h.opcode & 0xf) << 11) | (h.aa ? 0x400 : 0) | (h.tc ? 0x200 : 0) | (h.rd ? 0x100 : 0) | (h.ra ? 0x80 : 0) | (h.rcode & 0xf));
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authorities.length);
  w.u16(m.additionals.length);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...m.answers, ...m.authorities, ...m.additionals]) w.record(rr);
  return w.done();
}

export function buildQuery(id: number, name: string, type: number, rd = true): Buffer {
  return encodeMessage({
    header: { id, qr: false, opcode: Opcode.QUERY, aa: false, tc: false, rd, ra: false, rcode: 0 },
    questions: [{ name, type, class: RRClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
  });
}

/** A response to `query` echoing its id, question and RD bit. */
export function buildResponse(query: DnsMessage, rcode: number, answers: DnsRecord[] = [], authoritative = false): Buffer {
  return encodeMessage({
    header: { id: query.header.id, qr: true, opcode: query.header.opcode, aa: authoritative, tc: false, rd: query.header.rd, ra: true, rcode },
    questions: query.questions,
    answers,
    authorities: [],
    additionals: [],
  });
}

/** A minimal error response when only the header could be read. */
export function headerOnlyResponse(queryBuf: Buffer, rcode: number): Buffer {
  const h = parseHeader(queryBuf);
  return encodeMessage({
    header: { id: h.id, qr: true, opcode: h.opcode, aa: false, tc: false, rd: h.rd, ra: true, rcode },
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  });
}
