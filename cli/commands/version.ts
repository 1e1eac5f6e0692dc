import { ChatctlCommand } from '../base.js';

interface VersionResult {
  readonly version: string;
  readonly node: string;
  readonly platform: string;
}

export default class Version extends ChatctlCommand<typeof Version, VersionResult> {
  static override summary =
    "chatctl's version, and the Node.js and platform it runs on (as --version prints).";

  protected async execute(): Promise<VersionResult> {
    return {
      version: this.config.version,
      node: process.version,
      platform: `${this.config.platform}-${this.config.arch}`,
    };
  }

  protected override render(): void {
    this.log(this.config.userAgent);
  }
}
