export { HttpFrontend, type HttpFrontendOptions } from './http-frontend.js';
export { HTTP_STATUS_BY_CODE } from './status-map.js';
