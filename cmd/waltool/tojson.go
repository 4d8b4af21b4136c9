package main

import (
	"cmp"

	"github.com/waltool/waltool/ops"
	"github.com/waltool/waltool/schema"
)

func upgradeDoc(rep *upgradeReport) *schema.Upgrade {
	plan := rep.plan
	d := &schema.Upgrade{Applied: rep.Applied, ServerDirs: ops.ServerDirsDoc(rep.sources), Replicas: []schema.UpgradeReplica{}, NotLoaded: []schema.NotLoaded{},
		Slog:      schema.SlogArchive{Path: plan.SlogDir, Files: ops.SlogFilesDoc(plan.SlogFiles), ArchivePath: rep.SlogArchive},
		Rebalance: ops.RebalanceDoc(rep.Rebalance), Proof: ops.ProofDoc(rep.Proof), Journal: ops.RunDoc(rep.Journal, "upgrade"),
		Rollback: ops.RollbackDoc(rep.Rollback), Findings: schema.Findings(rep.Findings)}
	for _, rp := range plan.Replicas {
		ur := schema.UpgradeReplica{Gpid: rp.Gpid.String(), Path: rp.Dir, FoldedMutations: rp.Fold, FoldedBytes: rp.FoldBytes,
			FoldedDecrees: ops.RangesDoc(rp.Decrees), BeyondRuleDecrees: ops.RangesDoc(rp.BeyondRuleDecrees), NewFiles: []schema.NewFile{}}
		for _, f := range rp.NewFiles {
			ur.NewFiles = append(ur.NewFiles, schema.NewFile{Path: f.Path, Bytes: f.Size, Mutations: f.Mutations,
				MaxDecree: f.Header.MaxDecree, ValidStartOffset: f.Header.ValidStartOffset})
		}
		d.Replicas = append(d.Replicas, ur)
	}
	for _, n := range rep.NotLoaded {
		d.NotLoaded = append(d.NotLoaded, schema.NotLoaded{Gpid: n.Gpid.String(), Path: n.Dir, Reason: n.Reason})
	}
	return d
}

func downgradeDoc(rep *downgradeReport) *schema.Downgrade {
	plan := rep.plan
	d := &schema.Downgrade{Target: string(rep.Target), Applied: rep.Applied, RestoredSlogArchive: rep.Restored, ServerDirs: ops.ServerDirsDoc(rep.sources),
		Slog: schema.DowngradeSlog{SlogArchive: schema.SlogArchive{Path: plan.SlogDir, Files: []schema.SlogFile{}, ArchivePath: rep.Archive},
			Create: plan.CreateSlogDir},
		Replicas: []schema.DowngradeReplica{}, PreviewProof: ops.DowngradeProofDoc(rep.Preview), Proof: ops.DowngradeProofDoc(rep.Proof),
		Journal: ops.RunDoc(rep.Journal, cmp.Or(rep.journalKind, "downgrade")), Rollback: ops.RollbackDoc(rep.Rollback), Findings: schema.Findings(rep.Findings)}
	if len(rep.Archived) > 0 {
		d.Slog.Files = ops.SlogFilesDoc(plan.SlogFiles)
	}
	if s := plan.SlogStart; s != nil {
		d.Slog.StartFile = &schema.StartFile{Path: s.Path, StartOffset: s.StartOffset, AboveInitOffset: s.Above}
	}
	for _, r := range rep.Replicas {
		d.Replicas = append(d.Replicas, schema.DowngradeReplica{Gpid: r.Gpid, Path: r.Dir, Changes: ops.OrEmpty(r.Changes), Verdict: r.Proof})
	}
	return d
}
