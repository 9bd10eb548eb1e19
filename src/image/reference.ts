// Image references, parsed and normalised the way Docker does (distribution/reference's grammar and
// its "normalized named" rules), so that `busybox`, `library/busybox` and
// `docker.io/library/busybox:latest` name the same image everywhere in berth.
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [domain "/"] path
//   domain     := host [":" port]          host := domain-name | IPv4 | "[" IPv6 "]"
//   path       := component ("/" component)*   component := [a-z0-9]+ (separator [a-z0-9]+)*
//   separator  := [_.] | "__" | "-"+
//   tag        := [\w][\w.-]{0,127}

import { BerthError } from '../errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const HEX64_RE = /^[a-f0-9]{64}$/;

export interface Reference {
  /** Registry host, with port when given: `docker.io`, `registry:5000`, `localhost`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/busybox`, `ns/name`. */
  readonly path: string;
  /** `domain/path`. */
  readonly name: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

function invalid(input: string, why: string): BerthError {
  return new BerthError('BERTH_EREFERENCE', `invalid reference "${input}": ${why}`, { detail: { reference: input } });
}

/**
 * Split a name into registry domain and path as Docker does: the first component is a registry
 * only when it contains `.` or `:`, is `localhost`, or has upper-case letters (a repository never
 * may); otherwise the image lives on Docker Hub, and a single-component Hub name is an official
 * image under `library/`.
 */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  let domain: string;
  let path: string;
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = name;
  } else {
    domain = first;
    path = name.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path };
}

/** Parse a user-typed reference into its normalised form; `latest` is added when neither tag nor digest is given. */
export function parseReference(input: string): Reference {
  const ref = parseNormalized(input);
  if (ref.tag === undefined && ref.digest === undefined) return { ...ref, tag: DEFAULT_TAG };
  return ref;
}

/** Like parseReference but without adding the default tag (for `docker pull --all-tags`-like uses). */
export function parseNormalized(input: string): Reference {
  if (input.length === 0) throw invalid(input, 'empty reference');
  if (HEX64_RE.test(input)) {
    throw invalid(input, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!ANY_DIGEST_RE.test(digest)) throw invalid(input, `malformed digest "${digest}"`);
    if (!SHA256_RE.test(digest)) {
      const algo = digest.slice(0, digest.indexOf(':'));
      if (algo !== 'sha256') throw invalid(input, `digest algorithm "${algo}" is not supported (only sha256)`);
      throw invalid(input, 'a sha256 digest is 64 lower-case hexadecimal characters');
    }
  }
  // A tag is after the last ':' that comes after the last '/'; an earlier ':' is a registry port.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(input, `invalid tag "${tag}"`);
  }
  if (rest.length === 0) throw invalid(input, 'missing repository name');
  const { domain, path } = splitDomain(rest);
  if (!DOMAIN_RE.test(domain)) throw invalid(input, `invalid registry "${domain}"`);
  const components = path.split('/');
  for (const c of components) {
    if (c.length === 0) throw invalid(input, 'empty path component');
    if (!PATH_COMPONENT_RE.test(c)) {
      if (c.toLowerCase() !== c && PATH_COMPONENT_RE.test(c.toLowerCase())) {
        throw invalid(input, `repository name "${path}" must be lowercase`);
      }
      throw invalid(input, `invalid repository name component "${c}"`);
    }
  }
  const name = `${domain}/${path}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(input, `repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  return { domain, path, name, tag, digest };
}

/** The canonical string: `docker.io/library/busybox:latest`, `registry:5000/ns/name@sha256:…`. */
export function formatReference(ref: Reference): string {
  return ref.name + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The name as users type it: Docker Hub's domain and `library/` are left out. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return ref.name;
  const path = ref.path;
  if (path.startsWith(OFFICIAL_REPO_PREFIX) && path.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1) {
    return path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return path;
}

/** Familiar form with tag and digest: `busybox:latest`, `registry:5000/ns/name:tag`. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** True when the string is a valid tag on its own (for `berth tag`). */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}
