export { ApiError, createClient, type AccordClient, type CallInput, type CallMethod, type ClientErrorCode, type ClientOptions, type RawBody } from './client.ts';
