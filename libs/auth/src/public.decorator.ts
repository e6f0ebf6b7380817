import { applyDecorators, SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tessera:public';

/**
 * The only way out of authentication: every route is denied unless marked @Public().
 * The route inventory test lists every public route, so adding one shows up in review.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true));
