package endofday

import (
	"github.com/feepos/feepos/reconcile"
)

// defaultEngine is the reconcile package's engine.
func defaultEngine(d reconcile.Day) reconcile.Result { return reconcile.Run(d) }
