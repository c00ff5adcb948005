/**
 * The dashboard's view of its WebSocket, from graphql-ws's `connecting` / `connected` / `closed`
 * events (relayed by the SDK's `onConnectionChange`). Pure, so the banner logic is tested
 * without a socket.
 *
 * - `connecting`: the first attempt of this page, nothing received yet.
 * - `live`: connected; subscriptions deliver.
 * - `reconnecting`: the socket dropped (server restart, network) or an attempt failed; the client
 *   retries forever and the page shows a banner meanwhile.
 * - `refused`: the server refused the API key (close 4403); retrying cannot help.
 */
export type LinkStatus = 'connecting' | 'live' | 'reconnecting' | 'refused';

export type LinkEvent = 'connecting' | 'connected' | 'closed' | 'refused';

export interface LinkTransition {
  status: LinkStatus;
  /**
   * True when the socket came back after a drop: subscriptions resume from now on, so whatever
   * happened in between must be re-read from the queries (events are not replayed).
   */
  reconnected: boolean;
}

export function nextLinkStatus(current: LinkStatus, event: LinkEvent): LinkTransition {
  switch (event) {
    case 'refused':
      return { status: 'refused', reconnected: false };
    case 'connected':
      return { status: 'live', reconnected: current === 'reconnecting' };
    case 'closed':
      return { status: current === 'refused' ? 'refused' : 'reconnecting', reconnected: false };
    case 'connecting':
      // Each retry announces "connecting"; the page is still reconnecting until it succeeds.
      return { status: current === 'live' ? 'reconnecting' : current, reconnected: false };
  }
}
