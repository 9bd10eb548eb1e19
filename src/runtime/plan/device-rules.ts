// The device cgroup rules a container actually gets: the spec's own rules, then access to the
// devices every container has (the defaults of config-linux.md and a pty), then to the spec's
// linux.devices. Without these, a spec that starts with "deny all" (as `runc spec` writes) could
// not even create /dev/null.
import type { LinuxDeviceCgroup, Spec } from '../../oci/runtime-spec.js';

const c = (major: number | undefined, minor: number | undefined, access = 'rwm'): LinuxDeviceCgroup => ({ allow: true, type: 'c', major, minor, access });

export const ALWAYS_ALLOWED: readonly LinuxDeviceCgroup[] = [
  // mknod of any node; using it still needs an allow rule of its own.
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  c(1, 3), // null
  c(1, 8), // random
  c(1, 7), // full
  c(5, 0), // tty
  c(1, 5), // zero
  c(1, 9), // urandom
  c(5, 1), // console
  c(136, undefined), // pts/*
  c(5, 2), // ptmx
];

export function effectiveDeviceRules(spec: Spec): LinuxDeviceCgroup[] | undefined {
  const own = spec.linux?.resources?.devices;
  const devices = spec.linux?.devices ?? [];
  if (!own && devices.length === 0) return undefined;
  const rules: LinuxDeviceCgroup[] = [...(own ?? []), ...ALWAYS_ALLOWED];
  for (const d of devices) {
    if (d.type === 'p') continue; // fifos are not device-controlled
    rules.push({ allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: 'rwm' });
  }
  return rules;
}
