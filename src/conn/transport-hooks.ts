/**
 * What a connection tells the transport under it, for transports that need
 * to know (a WebSocket bounds its frames more tightly until the client has
 * authenticated). Plain TCP sockets implement none of it.
 */
export interface AuthAwareTransport {
  /** CONNECT was accepted: the peer is authenticated. */
  authenticated(): void;
}
