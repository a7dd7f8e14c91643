/** One bucket: the left-side tree (Objects; Access Control > Bucket Policy; Content Security > Server-side Encryption) and the chosen view. */
import { seg } from '../api';
import { Link, type Location } from '../router';
import { BucketPolicyPage } from './BucketPolicyPage';
import { EncryptionPage } from './EncryptionPage';
import { ObjectDetailPage } from './ObjectDetailPage';
import { ObjectsPage } from './ObjectsPage';

export function BucketPage({ bucket, view, loc }: { bucket: string; view: 'objects' | 'object' | 'encryption' | 'policy'; loc: Location }) {
  const base = `/buckets/${seg(bucket)}`;
  return (
    <div className="bucket-layout">
      <nav className="side" aria-label={`Bucket ${bucket}`}>
        <p className="side-title"><Link to="/buckets">Buckets</Link> / <strong>{bucket}</strong></p>
        <ul>
          <li><Link to={base} aria-current={view === 'objects' || view === 'object' ? 'page' : undefined}>Objects</Link></li>
          <li>
            <span className="side-group">Access Control</span>
            <ul>
              <li><Link to={`${base}/policy`} aria-current={view === 'policy' ? 'page' : undefined}>Bucket Policy</Link></li>
            </ul>
          </li>
          <li>
            <span className="side-group">Content Security</span>
            <ul>
              <li><Link to={`${base}/encryption`} aria-current={view === 'encryption' ? 'page' : undefined}>Server-side Encryption</Link></li>
            </ul>
          </li>
        </ul>
      </nav>
      <div className="bucket-main">
        {/* Keyed by folder: paging state belongs to one listing, also when Back changes the folder. */}
        {view === 'objects' && <ObjectsPage key={`${bucket}/${loc.query.get('prefix') ?? ''}`} bucket={bucket} prefix={loc.query.get('prefix') ?? ''} />}
        {view === 'object' && <ObjectDetailPage bucket={bucket} objectKey={loc.query.get('key') ?? ''} />}
        {view === 'encryption' && <EncryptionPage bucket={bucket} />}
        {view === 'policy' && <BucketPolicyPage bucket={bucket} />}
      </div>
    </div>
  );
}
