module github.com/feepos/feepos

go 1.26.8

require (
	github.com/jmoiron/sqlx v1.4.0
	github.com/mattn/go-sqlite3 v1.14.53
	golang.org/x/text v0.44.0
)
