// One WebSocket connection behind a small interface: the platform's WebSocket (browsers, Node 22+)
// where there is one, else `ws`, loaded only then so that a browser bundle never includes it.

/** What the live client needs from a connection, whichever WebSocket carries it. */
export interface LiveSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed (the WebSocket constants). */
  readonly readyState: number;
  close(code?: number): void;
  /** Cuts the connection without a closing handshake, as a lost network would (`close` where the platform has no such thing). */
  drop(): void;
}

export interface SocketEvents {
  open(): void;
  message(text: string): void;
  /** The close code, or the HTTP status when the gateway refused the upgrade (`ws` only; the platform WebSocket reports 1006). */
  close(code: number, reason: string): void;
}

/** The subset of the WHATWG WebSocket this file uses (no DOM typings needed). */
interface PlatformWebSocket {
  readonly readyState: number;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: (() => void) | null;
  close(code?: number): void;
}
type PlatformWebSocketCtor = new (url: string, protocols?: string[]) => PlatformWebSocket;

export type Transport = 'platform' | 'ws';

export function platformWebSocket(): PlatformWebSocketCtor | undefined {
  return (globalThis as { WebSocket?: PlatformWebSocketCtor }).WebSocket;
}

// A specifier bundlers do not follow: `ws` is a Node fallback, never part of a browser bundle.
const WS_MODULE = 'ws';
let wsModule: Promise<typeof import('ws')> | undefined;

export async function openSocket(url: string, protocols: string[], headers: Record<string, string>, events: SocketEvents, transport?: Transport): Promise<LiveSocket> {
  const Platform = transport === 'ws' ? undefined : platformWebSocket();
  if (Platform) return openPlatform(Platform, url, protocols, events);
  wsModule ??= import(WS_MODULE) as Promise<typeof import('ws')>;
  const { default: WebSocket } = await wsModule;
  const ws = new WebSocket(url, protocols, { headers });
  ws.on('open', () => events.open());
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) events.message(data.toString('utf8'));
  });
  // 'error' always precedes 'close', which carries the outcome.
  ws.on('error', () => undefined);
  let refused: number | undefined;
  ws.on('unexpected-response', (_req, res) => {
    refused = res.statusCode ?? 0;
    ws.terminate();
  });
  ws.on('close', (code: number, reason: Buffer) => events.close(refused ?? code, refused === undefined ? reason.toString() : `HTTP ${refused}`));
  return {
    get readyState() {
      return ws.readyState;
    },
    close: (code) => ws.close(code),
    drop: () => ws.terminate(),
  };
}

function openPlatform(Platform: PlatformWebSocketCtor, url: string, protocols: string[], events: SocketEvents): LiveSocket {
  const ws = new Platform(url, protocols);
  ws.onopen = () => events.open();
  ws.onmessage = (ev) => {
    if (typeof ev.data === 'string') events.message(ev.data);
  };
  ws.onerror = () => undefined;
  ws.onclose = (ev) => events.close(ev.code, ev.reason);
  return {
    get readyState() {
      return ws.readyState;
    },
    close: (code) => ws.close(code),
    drop: () => {
      // No abrupt cut in the platform API: the close event still fires, so the client reconnects the same way.
      ws.close();
    },
  };
}
