import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A commune-level administrative unit (xã / phường / đặc khu) of the 2025 two-tier system.' })
export class Commune {
  @Field(() => String, { description: '5-digit 2025 commune code (mã đơn vị hành chính cấp xã).' })
  code!: string;

  @Field(() => String, { description: 'Official name with its type word, e.g. "Phường Ba Đình".' })
  name!: string;

  @Field(() => String, { description: '`xã`, `phường` or `đặc khu`.' })
  type!: string;

  @Field(() => String, { description: '2-digit province code; Hà Nội is 01.' })
  provinceCode!: string;
}
