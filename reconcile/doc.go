// Package reconcile will own the daily reconciliation: settlement and bank
// statement importers, the matching engine and its reports. Not built yet.
package reconcile
