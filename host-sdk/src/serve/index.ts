// `@segl/host-sdk/serve`: the broker's HTTP server (OTP and FIDO verification over JSON). See host-sdk/docs/serve.md.
export {
  createBrokerServer,
  type BrokerServer, type BrokerServerOptions, type BrokerStore, type RateLimit, type HttpErrorCode,
} from "./server.js";
export { ROUTES, type RouteName } from "./schemas.js";
export { SeglError, isSeglError, type ErrorCode } from "../errors.js";
