/**
 * The identities of the development PKI (dev-pki.ts): plain data, so the CLI's usage text can name them
 * without loading the certificate tooling.
 */
export const DEV_USER = { name: 'jane', groups: ['developers'] } as const;
export const DEV_ADMIN = { name: 'admin', groups: ['system:masters'] } as const;
export const GATEWAY_IDENTITY = { name: 'system:listgate', groups: ['system:masters'] } as const;
