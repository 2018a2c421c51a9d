// Express 4, installed under the alias "express4" (npm:express@^4) so the suites run on both
// majors of the peer range. Its API is typed like Express 5's for what the tests use.
declare module 'express4' {
  import express from 'express';
  export default express;
}
