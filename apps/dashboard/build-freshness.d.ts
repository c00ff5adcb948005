/** True when `build/index.js` exists and is newer than every source the build reads. */
export function dashboardBuildIsCurrent(dashboardDir: string): boolean;
