package ops

// Converters the CLI still calls while commands move into ops; gone once
// every command is here.
var (
	ServerDirsDoc       = serverDirsDoc
	VerifyDoc           = verifyDoc
	ReplayDoc           = replayDoc
	GCDoc               = gcDoc
	RunDoc              = runDoc
	RollbackDoc         = rollbackDoc
	ProofDoc            = proofDoc
	RebalanceDoc        = rebalanceDoc
	SlogFilesDoc        = slogFilesDoc
	DowngradeProofDoc   = downgradeProofDoc
	KindOf              = kindOf
	RunState            = runState
	RangesDoc           = rangesDoc
	TakeRoot            = takeRoot
	LockRoot            = lockRoot
	RefuseOpenFiles     = refuseOpenFiles
	RefuseNotOneServer  = refuseNotOneServer
	ExplainNotOneServer = explainNotOneServer
	NotOneServerWhy     = notOneServerWhy
	LogBytes            = logBytes
	RefusingFindings    = refusingFindings
	OrEmpty             = orEmpty
)
