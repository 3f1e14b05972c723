// A module resolution hook for the command line, which is server code but not run by Next.js:
// it resolves `server-only` the way a React Server environment does (the package's
// "react-server" export is empty; its default export throws, which is how Next keeps server
// modules out of browser bundles). Only that one specifier gets the condition, so nothing
// else (React included) resolves differently.
export async function resolve(specifier, context, nextResolve) {
  if (specifier === "server-only") {
    return nextResolve(specifier, { ...context, conditions: [...context.conditions, "react-server"] });
  }
  return nextResolve(specifier, context);
}
