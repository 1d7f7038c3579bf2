import { Module } from '@nestjs/common';
import { LoggerModule as PinoLoggerModule } from 'nestjs-pino';
import { loadConfig } from '#config';

/** Structured JSON logs (pino), every line tagged with the service name; request logs without bodies. */
@Module({
  imports: [
    PinoLoggerModule.forRootAsync({
      useFactory: () => {
        const env = loadConfig();
        return {
          pinoHttp: {
            level: env.LOG_LEVEL,
            base: { service: process.env.SERVICE_NAME ?? 'trips' },
            autoLogging: { ignore: (req) => req.url === '/health' },
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            serializers: {
              req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
        };
      },
    }),
  ],
})
export class LoggerModule {}
