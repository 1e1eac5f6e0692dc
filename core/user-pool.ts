/** Cognito user pool ids are `<AWS region>_<id>`: the pool's region is read from its id (stacks, runtime). */
export const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/;

export function userPoolRegion(userPoolId: string): string {
  const match = USER_POOL_ID.exec(userPoolId);
  if (!match) throw new Error(`"${userPoolId}" is not a Cognito user pool id (<region>_<id>)`);
  return match[1];
}

/**
 * Cognito's multi-Region replication gives a pool at most one secondary replica in another region (AWS's
 * documented limit). The regions that serve a pool's sign-in, in the order a client in `own` should try them:
 * its own region when it holds the primary or the replica, then the primary, then the replica.
 */
export function signInRegions(primary: string, replica: string | undefined, own: string): string[] {
  const all = replica && replica !== primary ? [primary, replica] : [primary];
  return all.includes(own) ? [own, ...all.filter((r) => r !== own)] : all;
}
