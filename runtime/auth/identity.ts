/** What a verified token says, and what every verifier (dev tokens, Cognito) offers. */
export interface VerifiedIdentity {
  readonly userId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
}
