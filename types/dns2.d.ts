/**
 * The part of dns2 2.4 the tests use (a DNS server on loopback). dns2 ships its own types, but they lack
 * `Packet.RCODE` and type answers too narrowly to push an A record; this ambient module takes precedence.
 */
declare module 'dns2' {
  import type { AddressInfo } from 'node:net';

  export interface Question {
    name: string;
    type: number;
    class: number;
  }

  export interface Answer {
    name: string;
    type: number;
    class: number;
    ttl: number;
    address?: string;
  }

  export interface DnsPacket {
    header: { id: number; rcode: number };
    questions: Question[];
    answers: Answer[];
  }

  export const Packet: {
    TYPE: { A: number; AAAA: number; CNAME: number };
    CLASS: { IN: number };
    RCODE: { NOERROR: number; SERVFAIL: number; NXDOMAIN: number; REFUSED: number };
    createResponseFromRequest(request: DnsPacket): DnsPacket;
  };

  export type Handler = (request: DnsPacket, send: (response: DnsPacket) => void) => void;

  export interface DnsServer {
    listen(options: {
      udp?: { port: number; address: string };
      tcp?: { port: number; address: string };
    }): Promise<{
      udp?: AddressInfo;
      tcp?: AddressInfo;
    }>;
    close(): Promise<void>;
  }

  export function createServer(options: { udp?: boolean; tcp?: boolean; handle: Handler }): DnsServer;
}
