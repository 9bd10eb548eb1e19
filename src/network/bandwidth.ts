// --network-bandwidth ingress=RATE,egress=RATE[,ingress-burst=SIZE,egress-burst=SIZE] into the
// CNI bandwidth capability (bits per second, burst in bits). Ingress is traffic into the
// container (shaped on the host end of its veth), egress is traffic out of it (redirected through
// an ifb device and shaped there): the plugin's own meaning.
import { BerthError } from '../errors.js';
import type { BandwidthLimits } from './cni/types.js';

// tc's units (tc(8)), so an operator's habits carry over. "bps" is BYTES per second there, as in tc;
// bare K/M/G are bits, as network people mean "10M".
const RATE_UNITS: Record<string, number> = {
  '': 1, bit: 1, k: 1e3, kbit: 1e3, m: 1e6, mbit: 1e6, g: 1e9, gbit: 1e9, t: 1e12, tbit: 1e12,
  kibit: 1024, mibit: 1024 ** 2, gibit: 1024 ** 3, tibit: 1024 ** 4,
  bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9, tbps: 8e12, kibps: 8 * 1024, mibps: 8 * 1024 ** 2, gibps: 8 * 1024 ** 3,
};
// Burst sizes: bytes by default, like tc's "burst 32kb"; "bit"-suffixed forms are bits.
const SIZE_UNITS: Record<string, number> = {
  '': 8, b: 8, k: 8e3, kb: 8e3, m: 8e6, mb: 8e6, g: 8e9, gb: 8e9, kib: 8 * 1024, mib: 8 * 1024 ** 2, gib: 8 * 1024 ** 3,
  bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9,
};

/** The smallest default burst: enough for a full GSO segment, so shaping never drops a packet outright. */
export const MIN_DEFAULT_BURST_BITS = 64 * 1024 * 8;
/** Default burst: this much time at the full rate (tbf's bucket), or MIN_DEFAULT_BURST_BITS if larger. */
export const DEFAULT_BURST_SECONDS = 0.02;

function parseWithUnits(text: string, units: Record<string, number>, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? units[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new BerthError('BERTH_EINVAL', `invalid ${what} ${JSON.stringify(text)}: want a number with a unit such as 500kbit, 10mbit, 1M or 1gbit`);
  }
  const v = Math.round(Number(m[1]) * unit);
  if (!Number.isFinite(v) || v <= 0) throw new BerthError('BERTH_EINVAL', `invalid ${what} ${JSON.stringify(text)}: must be positive`);
  return v;
}

/** "10mbit" → 10000000 (bits per second). */
export function parseRate(text: string): number {
  const v = parseWithUnits(text, RATE_UNITS, 'rate');
  if (v < 8000) throw new BerthError('BERTH_EINVAL', `rate ${text} is below 8kbit, which tbf cannot shape usefully`);
  return v;
}

/** "64kb" → 524288 (bits). */
export function parseBurst(text: string): number {
  const v = parseWithUnits(text, SIZE_UNITS, 'burst');
  // The plugin refuses bursts above 4 GiB (it stores bytes in 32 bits).
  if (v / 8 >= 2 ** 32) throw new BerthError('BERTH_EINVAL', `burst ${text} is larger than 4GiB`);
  return v;
}

export function defaultBurst(rateBits: number): number {
  return Math.max(MIN_DEFAULT_BURST_BITS, Math.round(rateBits * DEFAULT_BURST_SECONDS));
}

/** Parse the flag's value; both directions are optional, at least one is required. */
export function parseNetworkBandwidth(value: string): BandwidthLimits {
  const out: BandwidthLimits = {};
  const bursts: { ingress?: number; egress?: number } = {};
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? '' : part.slice(0, eq).trim().toLowerCase();
    const val = eq < 0 ? '' : part.slice(eq + 1).trim();
    switch (key) {
      case 'ingress': out.ingressRate = parseRate(val); break;
      case 'egress': out.egressRate = parseRate(val); break;
      case 'ingress-burst': bursts.ingress = parseBurst(val); break;
      case 'egress-burst': bursts.egress = parseBurst(val); break;
      default:
        throw new BerthError('BERTH_EINVAL', `invalid --network-bandwidth ${JSON.stringify(value)}: expected ingress=RATE and/or egress=RATE (optionally ingress-burst=SIZE, egress-burst=SIZE), got ${JSON.stringify(part)}`);
    }
  }
  if (out.ingressRate === undefined && out.egressRate === undefined) {
    throw new BerthError('BERTH_EINVAL', `invalid --network-bandwidth ${JSON.stringify(value)}: give ingress=RATE, egress=RATE or both`);
  }
  if (bursts.ingress !== undefined && out.ingressRate === undefined) throw new BerthError('BERTH_EINVAL', 'ingress-burst needs ingress=RATE');
  if (bursts.egress !== undefined && out.egressRate === undefined) throw new BerthError('BERTH_EINVAL', 'egress-burst needs egress=RATE');
  if (out.ingressRate !== undefined) out.ingressBurst = bursts.ingress ?? defaultBurst(out.ingressRate);
  if (out.egressRate !== undefined) out.egressBurst = bursts.egress ?? defaultBurst(out.egressRate);
  return out;
}
