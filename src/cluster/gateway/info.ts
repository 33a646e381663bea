/**
 * Gateway INFO and CONNECT documents (Go server.go Info with its gateway
 * fields, gateway.go sendGatewayConnect), in Go's field order.
 */
import { orderedInfoJSON, type InfoHead } from '../../protocol/info-json.js';

export interface GatewayInfo extends InfoHead {
  server_id?: string;
  nonce?: string;
  cluster?: string;
  gateway?: string;
  gateway_urls?: string[];
  gateway_url?: string;
  gateway_cmd?: number;
  /** Go []byte: base64 in JSON */
  gateway_cmd_payload?: string;
  gateway_nrp?: boolean;
  gateway_iom?: boolean;
}

/** Go gatewayCmdGossip / gatewayCmdAllSubsStart / gatewayCmdAllSubsComplete */
export const GW_CMD_GOSSIP = 1;
export const GW_CMD_ALL_SUBS_START = 2;
export const GW_CMD_ALL_SUBS_COMPLETE = 3;

const ORDER: (keyof GatewayInfo)[] = [
  'server_id', 'server_name', 'version', 'proto', 'go', 'host', 'port', 'headers', 'auth_required', 'tls_required', 'tls_verify',
  'max_payload', 'nonce', 'cluster', 'gateway', 'gateway_urls', 'gateway_url', 'gateway_cmd', 'gateway_cmd_payload',
  'gateway_nrp', 'gateway_iom',
];

/**
 * `INFO {...}\r\n` in Go's field order. Like Go's marshalled Info, the
 * fields without omitempty are always written (empty in command INFOs).
 */
export function gatewayInfoProto(info: GatewayInfo): string {
  return `INFO ${orderedInfoJSON(info, ORDER, true)}\r\n`;
}

/** INFO for the AllSubsStart/AllSubsComplete commands (Go gatewaySwitchAccountToSendAllSubs); Go marshals the []byte payload as base64. */
export function gatewayCmdProto(gateway: string, cmd: number, account: string): string {
  return gatewayInfoProto({ gateway, gateway_cmd: cmd, gateway_cmd_payload: Buffer.from(account, 'latin1').toString('base64') });
}

/** The account named by a command INFO (base64, as Go's []byte). */
export function cmdPayloadAccount(p: unknown): string {
  if (typeof p !== 'string' || p === '') return '';
  return Buffer.from(p, 'base64').toString('latin1');
}

/** The CONNECT an outbound gateway sends (Go sendGatewayConnect). */
export function gatewayConnectProto(p: { user: string; pass: string; tls: boolean; id: string; gateway: string }): string {
  const o: Record<string, unknown> = { echo: false, verbose: false, pedantic: false };
  if (p.user) o.user = p.user;
  if (p.pass) o.pass = p.pass;
  o.tls_required = p.tls;
  o.name = p.id;
  o.gateway = p.gateway;
  return `CONNECT ${JSON.stringify(o)}\r\n`;
}
