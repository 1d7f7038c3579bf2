import { ApiProperty } from '@nestjs/swagger';

export class RegionsDto {
  @ApiProperty({
    type: [String],
    description: 'Region names starting with the prefix (case-insensitive), in alphabetical order.',
    example: ['Hamburg', 'Prague', 'Turin'],
  })
  items: string[];
}
