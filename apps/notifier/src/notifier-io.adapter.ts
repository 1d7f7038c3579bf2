import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';

// @nestjs/platform-socket.io pins its own socket.io copy: take the types from it, not from ours.
type IoServerOptions = NonNullable<Parameters<IoAdapter['createIOServer']>[1]>;
type IoServer = ReturnType<IoAdapter['createIOServer']>;

/**
 * The socket.io adapter with CORS from configuration: gateway decorators are evaluated at import
 * time, before the environment is validated, so the allowed origins are applied here instead.
 */
export class NotifierIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly origins: string[] | boolean,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: IoServerOptions): IoServer {
    // Clients send only small subscribe requests: a message over 64 KiB closes its connection.
    return super.createIOServer(port, {
      ...options,
      cors: { origin: this.origins },
      maxHttpBufferSize: 64 * 1024,
    } as IoServerOptions);
  }
}
