import { Test } from '@nestjs/testing';
import { ARGON2_PARAMS } from './password.constants';
import { PasswordHasher } from './password-hasher.service';
import { PasswordPolicyService } from './password-policy.service';
import { PasswordModule } from './password.module';

describe('PasswordModule', () => {
  it('provides the policy and the hasher with OWASP parameters, no configuration needed', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [PasswordModule] }).compile();
    await moduleRef.init();
    const hasher = moduleRef.get(PasswordHasher);
    expect(hasher.params).toEqual(ARGON2_PARAMS);
    expect(moduleRef.get(PasswordPolicyService).check('kx9-Velvet-Harbor')).toEqual([]);
    await expect(hasher.verifyDummy('anything')).resolves.toBe(false);
    await moduleRef.close();
  });

  it('can raise the argon2 parameters through register()', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [PasswordModule.register({ argon2: { timeCost: 3 } })],
    }).compile();
    expect(moduleRef.get(PasswordHasher).params).toEqual({ ...ARGON2_PARAMS, timeCost: 3 });
    expect(await moduleRef.get(PasswordHasher).hash('kx9-Velvet-Harbor')).toMatch(
      /\$m=19456,t=3,p=1\$/,
    );
  });
});
