package domain

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
)

// haidianJSON lists Haidian district's 29 real subdistricts and towns and a
// few real community names (copied from the project's shared data).
//
//go:embed demodata/haidian-institutes.json
var haidianJSON []byte

// DemoStationCount is the number of stations of the demo district, as the
// platform it is modelled on reported.
const DemoStationCount = 648

var (
	demoOnce sync.Once
	demoDir  *Directory
)

// DemoDirectory is the built-in directory: Haidian's 29 real institutes with
// their real station names where public reporting gives them, and generated
// community stations up to 648 in all. Generation is deterministic (the same
// ids and names on every machine and every release), spreads stations unevenly
// over the institutes (from about 10 to 40 each), and gives station ids of
// the form "<institute>-NNN" numbered from 001 within each institute.
func DemoDirectory() *Directory {
	demoOnce.Do(func() {
		d, err := buildDemoDirectory()
		if err != nil {
			panic("domain: the embedded demo directory is broken: " + err.Error())
		}
		demoDir = d
	})
	return demoDir
}

type haidianFile struct {
	Institutes []struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		NameEN   string   `json:"name_en"`
		Stations []string `json:"stations"`
	} `json:"institutes"`
}

// Parts of generated community names: a place word and a kind of estate, as
// Beijing communities are commonly named ("<place><kind>社区").
var (
	demoPlaces = []string{
		"青云", "翠微", "玉泉", "芙蓉", "锦秋", "蓝靛", "紫金", "清源", "明光", "长春",
		"永安", "和平", "建设", "光明", "春晖", "安宁", "育新", "文慧", "科苑", "书香",
		"枫林", "松园", "柳荫", "荷清", "梅园", "杏林", "桃源", "兰亭", "竹溪", "菊香",
		"福海", "瑞祥", "吉庆", "康乐", "丰泽", "泰和", "怡景", "嘉禾", "雅居", "静安",
		"曙光", "朝晖", "晨光", "星河", "月坛", "云岗", "霞光", "彩虹", "金沙", "银杏",
		"双泉", "三义", "四通", "五福", "六合", "七彩", "八宝", "九龙", "百草", "千禧",
	}
	demoKinds = []string{
		"里", "东里", "西里", "南里", "北里", "园", "苑", "家园", "西区", "路", "新村", "花园", "嘉苑", "公寓",
	}
)

func buildDemoDirectory() (*Directory, error) {
	var f haidianFile
	if err := json.Unmarshal(haidianJSON, &f); err != nil {
		return nil, fmt.Errorf("%w: demo data: %v", ErrDirectory, err)
	}
	counts := demoStationCounts(f.Institutes)
	used := map[string]bool{}
	for _, in := range f.Institutes {
		for _, name := range in.Stations {
			used[name] = true
		}
	}
	// Walk the name space in a fixed scattered order (a step coprime to its
	// size) so neighbouring stations do not get near-identical names.
	space := len(demoPlaces) * len(demoKinds)
	const step = 131
	next := 0
	nextName := func() string {
		for {
			k := next * step % space
			next++
			name := demoPlaces[k/len(demoKinds)] + demoKinds[k%len(demoKinds)] + "社区"
			if !used[name] {
				used[name] = true
				return name
			}
		}
	}
	var institutes []Institute
	var stations []Station
	for i, in := range f.Institutes {
		institutes = append(institutes, Institute{ID: in.ID, Name: in.Name, NameEN: in.NameEN})
		for n := 0; n < counts[i]; n++ {
			name := ""
			if n < len(in.Stations) {
				name = in.Stations[n]
			} else {
				name = nextName()
			}
			stations = append(stations, Station{
				ID: fmt.Sprintf("%s-%03d", in.ID, n+1), Name: name, InstituteID: in.ID,
			})
		}
	}
	return NewDirectory(institutes, stations)
}

// demoStationCounts shares DemoStationCount stations among the institutes in
// proportion to a weight from 10 to 40 derived from each id's FNV hash
// (largest remainder for the rest), and never fewer than an institute's real
// stations.
func demoStationCounts(ins []struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	NameEN   string   `json:"name_en"`
	Stations []string `json:"stations"`
}) []int {
	weights := make([]int, len(ins))
	total := 0
	for i, in := range ins {
		h := fnv.New32a()
		h.Write([]byte(in.ID))
		weights[i] = 10 + int(h.Sum32()%31)
		total += weights[i]
	}
	counts := make([]int, len(ins))
	type rem struct{ i, r int }
	rems := make([]rem, len(ins))
	given := 0
	for i, w := range weights {
		counts[i] = DemoStationCount * w / total
		rems[i] = rem{i, DemoStationCount * w % total}
		given += counts[i]
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < DemoStationCount; k++ {
		counts[rems[k%len(rems)].i]++
		given++
	}
	for i, in := range ins {
		if counts[i] < len(in.Stations) {
			counts[i] = len(in.Stations)
		}
	}
	return counts
}
