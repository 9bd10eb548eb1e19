// The thin HTTP edge of the registry client: one request, no retries, no auth. node:http(s)
// rather than fetch, because turning TLS verification off for one registry needs an agent option.

import { request as httpRequest, type IncomingMessage, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { readFileSync } from 'node:fs';
import { BerthError } from '../../errors.js';

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | AsyncIterable<Uint8Array>;
  /** Skip TLS certificate checks (`--tls-verify=false`). */
  insecureTls?: boolean;
  /** Milliseconds without any progress before the request fails. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: URL;
}

const extraCas = new Map<string, string[]>();

/** Node's roots plus BERTH_EXTRA_CA_CERTS: bin/berth moves NODE_EXTRA_CA_CERTS there, because node
 *  would parse that bundle at every start, and only registry TLS needs it. */
function trustedCas(): string[] | undefined {
  const file = process.env.BERTH_EXTRA_CA_CERTS;
  if (file === undefined || file === '') return undefined;
  let cas = extraCas.get(file);
  if (cas === undefined) {
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (e) {
      throw new BerthError('BERTH_EINVAL', `extra CA certificates ${file}: ${(e as Error).message}`);
    }
    cas = [...rootCertificates, pem];
    extraCas.set(file, cas);
  }
  return cas;
}

export function send(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const https = req.url.protocol === 'https:';
    const opts = {
      method: req.method,
      headers: { 'User-Agent': 'berth/0.1', ...(req.headers ?? {}) },
      timeout: req.timeoutMs ?? 60_000,
      ...(https && req.insecureTls === true ? { rejectUnauthorized: false } : {}),
      ...(https && req.insecureTls !== true && trustedCas() !== undefined ? { ca: trustedCas() } : {}),
    };
    const r = (https ? httpsRequest : httpRequest)(req.url, opts, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
    });
    r.on('timeout', () => r.destroy(Object.assign(new Error(`no answer from ${req.url.host} in ${opts.timeout} ms`), { code: 'ETIMEDOUT' })));
    r.on('error', reject);
    const body = req.body;
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    else {
      (async () => {
        for await (const c of body) {
          if (!r.write(c)) await new Promise<void>((ok) => r.once('drain', ok));
        }
        r.end();
      })().catch((e: unknown) => r.destroy(e as Error));
    }
  });
}

/** The whole body, refusing more than `max` bytes (a manifest must not fill memory). */
export async function readBody(res: HttpResponse, max: number, what: string): Promise<Buffer> {
  const len = Number(res.headers['content-length'] ?? NaN);
  if (Number.isFinite(len) && len > max) {
    res.body.destroy();
    throw new BerthError('BERTH_EINVAL', `${what}: ${len} bytes is over the limit of ${max}`);
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > max) {
      res.body.destroy();
      throw new BerthError('BERTH_EINVAL', `${what}: more than the limit of ${max} bytes`);
    }
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

export function drain(res: HttpResponse): void {
  res.body.resume();
}

/** Transient failures worth another try: resets, refused or dropped connections, timeouts. */
export function isTransientNetError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED' || code === 'EAI_AGAIN'
    || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'UND_ERR_SOCKET' || (e as Error).message === 'aborted' || (e as Error).message === 'socket hang up';
}
