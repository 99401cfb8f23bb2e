/** The account id the local runtime pretends to run in (ARNs must look real to handlers). */
export const LOCAL_ACCOUNT_ID = '000000000000';

export function functionArn(functionName: string, region: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;
}
