import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorDetailDto {
  @ApiProperty({ description: 'Stable machine-readable code.', example: 'invalid_bbox' })
  code: string;

  @ApiProperty({ description: 'What went wrong and how to fix it.', example: 'bbox needs 4 numbers, got 2' })
  message: string;

  @ApiPropertyOptional({
    description: 'The offending input.',
    type: 'object',
    additionalProperties: true,
    example: { bbox: '14.4,50' },
  })
  details?: Record<string, unknown>;
}

/** The body of every error response (see AppExceptionFilter in libs/common). */
export class ErrorDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ type: ErrorDetailDto })
  error: ErrorDetailDto;
}

/** An OpenAPI example of an error body. */
export const errorExample = (statusCode: number, code: string, message: string, details?: Record<string, unknown>) => ({
  statusCode,
  error: details ? { code, message, details } : { code, message },
});
