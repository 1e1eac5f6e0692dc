/** The one ChatApp of a Lambda execution environment, created on first use from the environment. */
import { type ChatApp, createChatApp } from '../app.js';
import { configFromEnv } from '../config.js';

let app: ChatApp | undefined;

export function chatApp(): ChatApp {
  app ??= createChatApp(configFromEnv());
  return app;
}
