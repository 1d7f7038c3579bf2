import { Inject } from '@nestjs/common';
import {
  Ack,
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { bearerToken, tokenAccepted } from '#common';
import { CONFIG, type Env } from '#config';
import { SOCKET_NAMESPACE, type SubscribeAck } from '#contracts';
import { isRequestError, parseSubscribeRequest } from './subscribe-request.js';
import { SubscriptionsService, type IngestionNamespace, type IngestionSocket } from './subscriptions.service.js';

type AckFn = ((result: SubscribeAck) => void) | undefined;

// A client may emit without an acknowledgement callback; it then simply gets no answer.
const answer = (ack: AckFn, result: SubscribeAck): void => {
  if (typeof ack === 'function') ack(result);
};

/**
 * socket.io namespace `/ingestions` (contract: libs/contracts/src/socket.ts). CORS comes from
 * CORS_ORIGINS through the adapter (main.ts). Every payload is validated here; a bad one is answered
 * with `{ ok: false, error }` and never reaches the subscriptions.
 */
@WebSocketGateway({ namespace: SOCKET_NAMESPACE })
export class EventsGateway implements OnGatewayInit<IngestionNamespace>, OnGatewayDisconnect<IngestionSocket> {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    @Inject(CONFIG) private readonly env: Env,
  ) {}

  /**
   * With API_TOKEN set, the all-ingestions feed needs it: `auth: { token }` in the socket.io handshake
   * (browsers), or an `Authorization: Bearer` header on it (other clients). One ingestion's events
   * stay open to whoever knows its id, as its status URL does.
   */
  private mayFollowAll(socket: IngestionSocket): boolean {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const token = typeof auth?.token === 'string' ? auth.token : bearerToken(socket.handshake.headers.authorization);
    return tokenAccepted(this.env.API_TOKEN, token);
  }

  afterInit(namespace: IngestionNamespace): void {
    this.subscriptions.attach(namespace, this.env.NOTIFIER_MAX_SOCKETS);
  }

  handleDisconnect(socket: IngestionSocket): void {
    this.subscriptions.disconnected(socket.id);
  }

  /** `{ ingestionId, afterSeq? }`: replay after afterSeq, then live. `{ all: true }`: every ingestion, live. */
  @SubscribeMessage('subscribe')
  subscribe(@MessageBody() body: unknown, @ConnectedSocket() socket: IngestionSocket, @Ack() ack: AckFn): void {
    const request = parseSubscribeRequest(body);
    if (isRequestError(request)) return answer(ack, { ok: false, error: request });
    if (request.kind === 'all') {
      if (!this.mayFollowAll(socket)) {
        return answer(ack, {
          ok: false,
          error: { code: 'unauthorized', message: 'The all-ingestions feed requires the API token (auth: { token })' },
        });
      }
      return answer(ack, this.subscriptions.subscribeAll(socket));
    }
    this.subscriptions.subscribe(socket, request.ingestionId, request.afterSeq, (result) => answer(ack, result));
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@MessageBody() body: unknown, @ConnectedSocket() socket: IngestionSocket, @Ack() ack: AckFn): void {
    const request = parseSubscribeRequest(body);
    if (isRequestError(request)) return answer(ack, { ok: false, error: request });
    answer(
      ack,
      request.kind === 'all'
        ? this.subscriptions.unsubscribeAll(socket)
        : this.subscriptions.unsubscribe(socket, request.ingestionId),
    );
  }
}
