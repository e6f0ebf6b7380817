import { ProblemError, createValidationPipe } from '@tessera/http';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { PASSWORD_MAX_LENGTH } from './password.constants';
import { IsPasswordInput } from './password-input.decorator';

class LoginDto {
  @IsPasswordInput()
  password!: string;
}

class OptionalEmptyDto {
  @IsPasswordInput({ allowEmpty: true })
  password!: string;
}

async function constraintsOf(
  dto: new () => object,
  password: unknown,
): Promise<Record<string, string>> {
  const errors = await validate(plainToInstance(dto, { password }));
  return Object.assign({}, ...errors.map((e) => e.constraints ?? {})) as Record<string, string>;
}

describe('IsPasswordInput', () => {
  it('accepts an ordinary password', async () => {
    expect(await constraintsOf(LoginDto, 'kx9-Velvet-Harbor')).toEqual({});
  });

  it('rejects a non-string', async () => {
    for (const value of [12345678901234, { $gt: '' }, ['a'], null, undefined]) {
      expect(Object.keys(await constraintsOf(LoginDto, value))).toContain('isString');
    }
  });

  it('rejects an empty password unless allowed', async () => {
    expect(Object.keys(await constraintsOf(LoginDto, ''))).toEqual(['isNotEmpty']);
    expect(await constraintsOf(OptionalEmptyDto, '')).toEqual({});
  });

  it('rejects more than 256 code points and says so without echoing the value', async () => {
    const tooLong = 'x'.repeat(PASSWORD_MAX_LENGTH + 1);
    const constraints = await constraintsOf(LoginDto, tooLong);
    expect(constraints).toEqual({ maxPasswordLength: 'password must be at most 256 characters' });
  });

  it('counts code points after NFKC, as the hasher does', async () => {
    expect(await constraintsOf(LoginDto, '😀'.repeat(PASSWORD_MAX_LENGTH))).toEqual({});
    expect(
      Object.keys(await constraintsOf(LoginDto, '😀'.repeat(PASSWORD_MAX_LENGTH + 1))),
    ).toEqual(['maxPasswordLength']);
    // U+FDFA expands to 18 code points under NFKC.
    expect(Object.keys(await constraintsOf(LoginDto, '\uFDFA'.repeat(15)))).toEqual([
      'maxPasswordLength',
    ]);
  });

  it('makes the global ValidationPipe answer 400 before anything else runs', async () => {
    const pipe = createValidationPipe();
    const body = { password: 'x'.repeat(10_000) };
    const attempt = pipe.transform(body, { type: 'body', metatype: LoginDto });
    await expect(attempt).rejects.toBeInstanceOf(ProblemError);
    await expect(attempt).rejects.toMatchObject({ status: 400 });
    const problem = await attempt.catch((e: unknown) => e);
    expect(JSON.stringify(problem)).not.toContain('xxxxxxxx');
  });
});
