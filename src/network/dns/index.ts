// The per-network DNS server's public surface.
export { DnsServer, type DnsServerOptions } from './server.js';
export { DnsRecords, type RecordEntry } from './records.js';
export { parseResolvConf, upstreamsFrom, hostUpstreams, type ResolvConf } from './resolv-conf.js';
export { query, parseEndpoint, udpExchange, tcpExchange, type Endpoint } from './transport.js';
export * from './message.js';
