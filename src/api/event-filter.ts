// Docker's `filters` for events and label filters, shared by every backend so the fake and the
// engine adapter answer the same query the same way.
import type { EventMessage, Filters, Labels } from './types.js';

export function labelMatch(labels: Labels | null | undefined, wanted: string[] | undefined): boolean {
  if (!wanted || wanted.length === 0) return true;
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return labels?.[w] !== undefined;
    return labels?.[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

export function eventMatches(e: EventMessage, f: Filters): boolean {
  const one = (key: string, values: string[]): boolean => {
    switch (key) {
      case 'type': return values.includes(e.Type);
      case 'event': case 'action': return values.some((v) => v === e.Action || e.Action.startsWith(v + ':'));
      case 'container': return e.Type === 'container' && values.some((v) => e.Actor.ID.startsWith(v) || e.Actor.Attributes['name'] === v);
      case 'image': return values.some((v) => e.Actor.Attributes['image'] === v || e.Actor.ID === v);
      case 'volume': return e.Type === 'volume' && values.includes(e.Actor.ID);
      case 'network': return e.Type === 'network' && values.some((v) => e.Actor.ID.startsWith(v) || e.Actor.Attributes['name'] === v);
      case 'label': return labelMatch(e.Actor.Attributes, values);
      default: return true;
    }
  };
  return Object.entries(f).every(([k, v]) => v.length === 0 || one(k, v));
}
