import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type * as Estimator from './password-strength.estimator';

describe('password strength estimator', () => {
  it('builds the zxcvbn dictionaries once, lazily, not per check', () => {
    jest.isolateModules(() => {
      const core = jest.requireActual<typeof ZxcvbnCore>('@zxcvbn-ts/core');
      const Real = core.ZxcvbnFactory;
      // jest calls a spied class without `new`; construct the real one explicitly.
      const factory = jest
        .spyOn(core, 'ZxcvbnFactory')
        .mockImplementation((...args) => new Real(...args));
      const estimator = jest.requireActual<typeof Estimator>('./password-strength.estimator');

      expect(factory).not.toHaveBeenCalled();
      estimator.estimateStrength('kx9-Velvet-Harbor', []);
      estimator.estimateStrength('another-Password-77', ['someone']);
      expect(estimator.isCommonPassword('password1234')).toBe(true);
      expect(factory).toHaveBeenCalledTimes(1);
    });
  });
});
