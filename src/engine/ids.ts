// Container ids and names as docker makes them: 64 hex digits (12 shown), and "adjective_surname"
// names. The word lists are our own; only the shape follows docker.
import { randomBytes, randomInt } from 'node:crypto';
import { BerthError } from '../errors.js';

const ADJECTIVES = `admiring agile amazing bold brave bright calm clever cool crisp curious daring eager
  elegant epic fervent festive focused gallant gentle glad happy hardy heuristic jolly keen kind lucid
  merry mighty modest nimble noble patient peaceful pensive quick quiet relaxed serene sharp shiny
  silent sleepy smart snappy steady stoic sunny swift tender tidy upbeat vibrant vigilant warm wise
  witty youthful zealous zen`.trim().split(/\s+/);

// People of computing and science, by surname.
const SURNAMES = `agnesi allen archimedes babbage backus bardeen bell bohr boole borg brahmagupta
  cerf chandrasekhar clarke curie darwin dijkstra einstein engelbart euclid euler fermat feynman
  franklin galileo gauss goldberg goodall hamilton hawking hertz hodgkin hopper hypatia jennings
  johnson kare kepler khorana knuth lamarr lamport leakey liskov lovelace mayer mccarthy meitner
  mendel minsky morse napier newton nobel noether pare pascal perlman pike poincare ritchie rubin
  shannon shockley sinoussi stallman swartz tesla thompson torvalds turing varahamihira wescoff
  wiles wilson wing wozniak yalow`.trim().split(/\s+/);

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** A docker-like random name; `attempt` > 0 appends a digit, as docker does after a clash. */
export function randomName(attempt = 0): string {
  const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
  return attempt === 0 ? name : `${name}${randomInt(10)}`;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Docker's rule for user-given names (a leading "/" is accepted and dropped). */
export function checkName(name: string): string {
  const n = name.startsWith('/') ? name.slice(1) : name;
  if (!NAME_RE.test(n) || n.length > 253) {
    throw new BerthError('BERTH_EINVAL', `invalid container name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return n;
}
