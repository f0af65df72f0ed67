package domain

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Institute is a street- or town-level practice institute (所).
type Institute struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	NameEN string `json:"name_en,omitempty"`
}

// Station is a community-level practice station (站); it belongs to one institute.
type Station struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	InstituteID string `json:"institute_id"`
}

// Directory is the district's institutes and stations. It is immutable once
// built, so one value may be shared by every goroutine.
type Directory struct {
	institutes  []Institute
	stations    []Station
	instituteAt map[string]int
	stationAt   map[string]int
	byInstitute map[string][]int
}

// ErrDirectory marks a directory file or list that breaks the rules of
// ParseDirectory. It is a configuration error, not a command refusal, so it
// belongs to no error class.
var ErrDirectory = errors.New("invalid directory")

// directoryFile is the JSON shape of a directory, as PAIDAN_DIRECTORY files
// hold it:
//
//	{
//	  "institutes": [
//	    {"id": "zhongguancun", "name": "中关村街道", "name_en": "Zhongguancun",
//	     "stations": [{"id": "zhongguancun-001", "name": "…社区"}, …]},
//	    …
//	  ]
//	}
//
// IDs are 1–64 letters, digits, '-' or '_' and unique across the file
// (stations among stations, institutes among institutes); names are non-empty
// and at most 100 characters; name_en is optional; every institute has at
// least one station. Other top-level keys are ignored.
type directoryFile struct {
	Institutes []directoryInstitute `json:"institutes"`
}

type directoryInstitute struct {
	ID       string             `json:"id"`
	Name     string             `json:"name"`
	NameEN   string             `json:"name_en,omitempty"`
	Stations []directoryStation `json:"stations"`
}

type directoryStation struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ParseDirectory reads a directory in the JSON shape documented on
// directoryFile. Errors wrap ErrDirectory and say which entry is wrong.
func ParseDirectory(data []byte) (*Directory, error) {
	var f directoryFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: expected a JSON object with an \"institutes\" list: %v", ErrDirectory, err)
	}
	var institutes []Institute
	var stations []Station
	for i, in := range f.Institutes {
		if len(in.Stations) == 0 {
			return nil, fmt.Errorf("%w: institute %d (%q) has no stations; expected at least one", ErrDirectory, i, in.ID)
		}
		institutes = append(institutes, Institute{ID: in.ID, Name: in.Name, NameEN: in.NameEN})
		for _, st := range in.Stations {
			stations = append(stations, Station{ID: st.ID, Name: st.Name, InstituteID: in.ID})
		}
	}
	return NewDirectory(institutes, stations)
}

// NewDirectory builds a directory from lists, checking the rules of
// ParseDirectory. Order is kept: listings return entries as given.
func NewDirectory(institutes []Institute, stations []Station) (*Directory, error) {
	if len(institutes) == 0 {
		return nil, fmt.Errorf("%w: expected at least one institute, found none", ErrDirectory)
	}
	d := &Directory{
		institutes:  append([]Institute(nil), institutes...),
		stations:    append([]Station(nil), stations...),
		instituteAt: make(map[string]int, len(institutes)),
		stationAt:   make(map[string]int, len(stations)),
		byInstitute: make(map[string][]int, len(institutes)),
	}
	for i, in := range d.institutes {
		if err := checkEntry("institute", i, in.ID, in.Name); err != nil {
			return nil, err
		}
		if _, dup := d.instituteAt[in.ID]; dup {
			return nil, fmt.Errorf("%w: institute id %q appears twice; expected unique ids", ErrDirectory, in.ID)
		}
		d.instituteAt[in.ID] = i
	}
	for i, st := range d.stations {
		if err := checkEntry("station", i, st.ID, st.Name); err != nil {
			return nil, err
		}
		if _, dup := d.stationAt[st.ID]; dup {
			return nil, fmt.Errorf("%w: station id %q appears twice; expected unique ids", ErrDirectory, st.ID)
		}
		if _, ok := d.instituteAt[st.InstituteID]; !ok {
			return nil, fmt.Errorf("%w: station %q names institute %q, which is not in the directory",
				ErrDirectory, st.ID, st.InstituteID)
		}
		d.stationAt[st.ID] = i
		d.byInstitute[st.InstituteID] = append(d.byInstitute[st.InstituteID], i)
	}
	for _, in := range d.institutes {
		if len(d.byInstitute[in.ID]) == 0 {
			return nil, fmt.Errorf("%w: institute %q has no stations; expected at least one", ErrDirectory, in.ID)
		}
	}
	return d, nil
}

func checkEntry(kind string, i int, id, name string) error {
	if !ValidID(id) {
		return fmt.Errorf("%w: %s %d: id %q: expected 1 to %d letters, digits, '-' or '_'",
			ErrDirectory, kind, i, id, MaxIDLength)
	}
	if err := checkText("name", name, MaxTeamNameRunes, true); err != nil {
		return fmt.Errorf("%w: %s %q: %v", ErrDirectory, kind, id, err)
	}
	return nil
}

// Institutes lists the institutes in directory order.
func (d *Directory) Institutes() []Institute { return append([]Institute(nil), d.institutes...) }

// Stations lists every station in directory order.
func (d *Directory) Stations() []Station { return append([]Station(nil), d.stations...) }

// Institute looks an institute up by id.
func (d *Directory) Institute(id string) (Institute, bool) {
	i, ok := d.instituteAt[id]
	if !ok {
		return Institute{}, false
	}
	return d.institutes[i], true
}

// Station looks a station up by id.
func (d *Directory) Station(id string) (Station, bool) {
	i, ok := d.stationAt[id]
	if !ok {
		return Station{}, false
	}
	return d.stations[i], true
}

// InstituteOf returns the institute a station belongs to.
func (d *Directory) InstituteOf(stationID string) (Institute, bool) {
	st, ok := d.Station(stationID)
	if !ok {
		return Institute{}, false
	}
	return d.Institute(st.InstituteID)
}

// StationsOf lists an institute's stations in directory order; none for an
// unknown institute.
func (d *Directory) StationsOf(instituteID string) []Station {
	idx := d.byInstitute[instituteID]
	out := make([]Station, len(idx))
	for k, i := range idx {
		out[k] = d.stations[i]
	}
	return out
}

// MarshalJSON writes the directory in the shape ParseDirectory reads, so a
// generated directory can be saved, edited and loaded with PAIDAN_DIRECTORY.
func (d *Directory) MarshalJSON() ([]byte, error) {
	f := directoryFile{Institutes: make([]directoryInstitute, len(d.institutes))}
	for i, in := range d.institutes {
		di := directoryInstitute{ID: in.ID, Name: in.Name, NameEN: in.NameEN}
		for _, st := range d.StationsOf(in.ID) {
			di.Stations = append(di.Stations, directoryStation{ID: st.ID, Name: st.Name})
		}
		f.Institutes[i] = di
	}
	return json.Marshal(f)
}

// checkStation validates a station id against the directory and returns the
// station, refusing unknown ones as a *ValidationError for field.
func (d *Directory) checkStation(field, id string) (Station, error) {
	if d == nil {
		return Station{}, &ValidationError{Field: field, Reason: "no directory of stations is configured"}
	}
	st, ok := d.Station(id)
	if !ok {
		return Station{}, &ValidationError{Field: field,
			Reason: fmt.Sprintf("expected a station of the district directory, found %q", id)}
	}
	return st, nil
}
