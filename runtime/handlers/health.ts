/** Lambda entry for GET /health (HTTP API, payload format 2.0). */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { chatApp } from './instance.js';

export const handler = (event: APIGatewayProxyEventV2) => chatApp().health(event);
